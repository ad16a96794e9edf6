"""Real login: ``st.login`` against a real OpenID Connect provider, in headless Chromium.

``tests/oidc/provider.mjs`` runs the ``oidc-provider`` package (pinned in
``tests/oidc/package-lock.json``; ``./dev test`` installs it with ``npm ci``) on
127.0.0.1 with one confidential client and a few accounts. The app (``stapelkaart
app`` on the demo gemeente) gets a temporary ``.streamlit/secrets.toml`` in its own
working folder, outside the repository, with an ``[auth]`` section pointing at that
provider and roles like those of the README; two datasets are stored first with
``stapelkaart datasets add``. Playwright clicks the Dutch login button,
signs in on the provider's own pages and checks what each person sees. Every
request that is not for 127.0.0.1 is aborted and recorded.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _browser import (
    FOLIUM_IFRAME,
    ROOT,
    chromium,
    free_port,
    offline_context,
    require_browser,
    serve,
)

from geo_app.session.i18n import t
from layers import INDICATORS

pytestmark = pytest.mark.browser

PROVIDER_DIR = ROOT / "tests" / "oidc"
WAIT = 60_000  # ms; the machine may be busy
NO_ROLE_NL = "aan uw account is geen rol toegekend"  # role_none in session.i18n
LOGIN_NL = "Log in om Stapelkaart te gebruiken."
EXPECTED_BLOCKED = (
    "https://service.pdok.nl/brt/achtergrondkaart/",
    "https://fonts.googleapis.com/",
)

#: Accounts of the provider: login → claims in the ID token. The gemeente user gets its role
#: through the groups claim, the corporatie user through its e-mail domain.
ACCOUNTS = {
    "beleid": {
        "email": "beleid@gemeente.example",
        "email_verified": True,
        "name": "Beleid",
        "groups": ["sg-alle-medewerkers", "sg-stapelkaart-beleid"],
    },
    "corporatie": {
        "email": "analist@woonstichting.example",
        "email_verified": True,
        "name": "Analist",
        "groups": ["sg-woonstichting"],
    },
    "onbekend": {"email": "iemand@elders.example", "email_verified": True, "name": "Iemand"},
    "zonder-email": {"name": "Geen e-mail", "groups": ["sg-alle-medewerkers"]},
    # A known domain, but a groups claim that is no list: an error, so no access at all.
    "kapotte-groepen": {"email": "tweede@woonstichting.example", "name": "Kapot", "groups": 42},
}

CORPORATIE_INDICATORS = ["pct_corporation_owned", "bijstand_per_1000_15_65"]
#: Stored datasets (``stapelkaart datasets add``): name → column. The gemeente may see both,
#: the corporatie only huur_2024.
DATASETS = {"wmo_2024": "wmo", "huur_2024": "huurachterstand"}
WMO_LAYER = "wmo per 1.000 inwoners"
HUUR_LAYER = "huurachterstand per 1.000 inwoners"

ACCESS_TOML = """
[access]
local_role = "gemeente"     # must never reach a logged-in person without a role
default_role = ""

[access.roles.gemeente]
label = "Gemeente"
levels = ["buurt", "wijk", "gemeente"]
indicators = "*"
export_levels = ["buurt", "wijk", "gemeente"]
export_indicators = "*"
datasets = "*"
upload = true

[access.roles.corporatie]
label = "Woningcorporatie"
levels = ["wijk", "gemeente"]
indicators = ["pct_corporation_owned", "bijstand_per_1000_15_65", "stacking_score", "themes_high",
              "gem_huurachterstand"]
export_levels = ["wijk"]
export_indicators = ["pct_corporation_owned", "stacking_score"]
datasets = ["huur_2024"]

[access.users]
"wethouder@gemeente.example" = "gemeente"
[access.groups]
"sg-stapelkaart-beleid" = "gemeente"
[access.domains]
"woonstichting.example" = "corporatie"
"""


def _require_provider() -> None:
    """Skip without Node.js; fail, saying what to run, when the provider is not installed."""
    if shutil.which("node") is None:
        pytest.skip("Node.js (`node`) not found: the test OIDC provider cannot run")
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        pytest.fail("oidc-provider is not installed: run `npm ci` in tests/oidc (./dev test does)")


def _start_provider(env: dict[str, str], log: Path) -> tuple[subprocess.Popen, str]:
    """Start provider.mjs; return the process and its issuer URL (bounded wait)."""
    handle = log.open("wb")
    proc = subprocess.Popen(
        ["node", "provider.mjs"],
        cwd=PROVIDER_DIR,
        env={**os.environ, **env},
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    handle.close()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                return proc, json.loads(line)["issuer"]
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    _stop(proc)
    pytest.fail(f"the OIDC provider did not start: {log.read_text(errors='replace')[-2000:]}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _store_datasets(folder: Path, store: Path) -> None:
    """Store DATASETS for the demo gemeente as the CLI does (protected values only)."""
    from cbs_ingest.demo import make_demo
    from geo_app.cli import main

    codes = list(make_demo()["buurt"]["code"])
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STAPELKAART_DATASETS_FILE", str(store))
        for n, (name, column) in enumerate(DATASETS.items()):
            path = folder / f"{name}.csv"
            rows = [f"{c};{(i * 7 + n * 5) % 40 + 10}" for i, c in enumerate(codes)]
            path.write_text("\n".join([f"buurtcode;{column}", *rows]), encoding="utf-8")
            args = ["datasets", "add", str(path), "-m", "GM9999", "--level", "buurt",
                    "--year", "2024", "--name", name, "--user", "beleid"]  # fmt: skip
            assert main(args) == 0


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """The provider and ``stapelkaart app`` with login configured; yield the app's URL."""
    require_browser()
    _require_provider()
    folder = tmp_path_factory.mktemp("oidc_login")
    port = free_port()
    redirect = f"http://127.0.0.1:{port}/oauth2callback"
    client_id, client_secret = "stapelkaart", secrets.token_hex(16)
    provider, issuer = _start_provider(
        {
            "OIDC_REDIRECT_URI": redirect,
            "OIDC_CLIENT_ID": client_id,
            "OIDC_CLIENT_SECRET": client_secret,
            "OIDC_ACCOUNTS": json.dumps(ACCOUNTS),
        },
        folder / "provider.log",
    )
    auth = {
        "redirect_uri": redirect,
        "cookie_secret": secrets.token_hex(32),
        "client_id": client_id,
        "client_secret": client_secret,
        "server_metadata_url": f"{issuer}/.well-known/openid-configuration",
    }
    store = folder / "datasets.sqlite"
    _store_datasets(folder, store)
    streamlit_dir = folder / ".streamlit"  # read from the app's working folder, not the repo
    streamlit_dir.mkdir()
    (streamlit_dir / "secrets.toml").write_text(
        "[auth]\n"
        + "".join(f"{k} = {json.dumps(v)}\n" for k, v in auth.items())
        # Streamlit asks for prompt=select_account by default, which not every provider
        # supports (oidc-provider refuses it); "login" asks for the password every time.
        + 'client_kwargs = { prompt = "login" }\n'
        + ACCESS_TOML,
        encoding="utf-8",
    )
    env = {
        "STAPELKAART_DATA_DIR": str(folder / "data"),
        "STAPELKAART_CBS_URL": "http://127.0.0.1:9",
        "STAPELKAART_PDOK_URL": "http://127.0.0.1:9",
        "STAPELKAART_ROLES": "",  # the roles come from the temporary secrets.toml
        "STAPELKAART_DATASETS_FILE": str(store),
        "NO_PROXY": "127.0.0.1",
        "no_proxy": "127.0.0.1",
    }
    command = [sys.executable, "-m", "geo_app", "app", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true"]  # fmt: skip
    try:
        with serve(command, cwd=folder, env=env, log=folder / "streamlit.log", port=port) as base:
            yield base
    finally:
        _stop(provider)


@pytest.fixture(scope="module")
def browser():
    with chromium() as running:
        yield running


@pytest.fixture
def page(browser, app_url):
    """A fresh offline browser context (no cookies) per test; no request may leave 127.0.0.1."""
    context, blocked = offline_context(browser, {"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.set_default_timeout(WAIT)
    yield tab
    context.close()
    # Aborted, so nothing left the machine. Expected were only the tiles of the default
    # basemap and the web font that the provider's built-in pages import; nothing else.
    assert [u for u in blocked if not u.startswith(EXPECTED_BLOCKED)] == []


def _login(page, app_url: str, login: str) -> None:
    """Open the app, click "Inloggen", sign in on the provider's pages and come back."""
    page.goto(app_url)
    page.get_by_text(LOGIN_NL).wait_for()
    page.get_by_role("button", name="Inloggen").click()
    page.locator("input[name=login]").fill(login)  # the provider's own sign-in page
    page.locator("input[name=password]").fill("wachtwoord")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()  # the provider's consent page
    page.wait_for_url(f"{app_url}/**")


def _radio_options(page, label: str) -> list[str]:
    group = page.get_by_role("radiogroup", name=label)
    group.wait_for()
    return [o.strip() for o in group.locator("label").all_inner_texts()]


def _layer_options(page) -> list[str]:
    page.get_by_label("Kaartlaag").click()  # Streamlit's selectbox: a listbox of options
    options = [o.strip() for o in page.get_by_role("option").all_inner_texts()]
    page.keyboard.press("Escape")
    return options


def _wait_for_map(page) -> None:
    page.wait_for_function(
        """sel => {
            const f = document.querySelector(sel);
            const d = f && f.contentDocument;
            return d !== null && d.querySelectorAll('path.leaflet-interactive').length > 0;
        }""",
        arg=FOLIUM_IFRAME,
        timeout=WAIT,
    )


def test_gemeente_user_sees_buurten_may_add_data_and_logout_returns_to_login(page, app_url):
    _login(page, app_url, "beleid")
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("Ingelogd als beleid@gemeente.example (Gemeente)").wait_for()
    assert _radio_options(page, "Niveau") == ["Buurten", "Wijken"]
    _wait_for_map(page)
    assert {WMO_LAYER, HUUR_LAYER} <= set(_layer_options(page))  # both stored datasets
    page.get_by_role("tab", name="Eigen data").click()  # may add own datasets, at both levels
    assert _radio_options(page, "Niveau van het bestand") == ["Buurten", "Wijken"]
    page.locator("input[type=file]").wait_for(state="attached")

    sidebar.get_by_role("button", name="Uitloggen").click()
    page.get_by_role("button", name="Yes, sign me out").click()  # the provider's logout page
    page.get_by_text(LOGIN_NL).wait_for()
    page.get_by_role("button", name="Inloggen").wait_for()
    assert page.locator(FOLIUM_IFRAME).count() == 0
    page.reload()  # the login cookie is gone, not just this page's state
    page.get_by_text(LOGIN_NL).wait_for()
    assert page.locator(FOLIUM_IFRAME).count() == 0


def test_corporatie_user_sees_only_wijken_and_its_indicators_and_adds_no_data(page, app_url):
    _login(page, app_url, "corporatie")
    page.get_by_test_id("stSidebar").get_by_text(
        "Ingelogd als analist@woonstichting.example (Woningcorporatie)"
    ).wait_for()
    assert _radio_options(page, "Niveau") == ["Wijken"]
    _wait_for_map(page)
    # the change layer too: the corporatie may see bijstand, which has series per wijk
    change = t("layer_verandering", "nl")
    expected = {"Stapelingsscore", "Aantal hoge thema's", HUUR_LAYER, change} | {
        INDICATORS[k].label_nl for k in CORPORATIE_INDICATORS
    }
    assert set(_layer_options(page)) == expected  # its stored dataset, not the wmo one
    page.get_by_role("tab", name="Eigen data").click()
    page.get_by_text("Uw rol (Woningcorporatie) mag geen eigen gegevens toevoegen.").wait_for()
    assert page.locator("input[type=file]").count() == 0


@pytest.mark.parametrize("login", ["onbekend", "zonder-email"])
def test_person_without_a_role_is_refused_not_given_the_local_role(page, app_url, login):
    _login(page, app_url, login)
    page.get_by_text(NO_ROLE_NL).wait_for()
    page.get_by_role("button", name="Uitloggen").wait_for()
    _assert_no_access(page)


def test_a_malformed_claim_means_no_access_even_with_a_known_domain(page, app_url):
    _login(page, app_url, "kapotte-groepen")
    page.get_by_test_id("stAlert").first.wait_for()  # a Dutch message, no traceback
    assert page.get_by_test_id("stException").count() == 0
    _assert_no_access(page)


def _assert_no_access(page) -> None:
    assert page.locator(FOLIUM_IFRAME).count() == 0
    assert page.get_by_text("Ingelogd als").count() == 0
    assert page.get_by_role("radiogroup", name="Niveau").count() == 0
    assert page.get_by_label("Kaartlaag").count() == 0
