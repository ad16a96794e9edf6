"""Two app processes on one dataset store, in headless Chromium.

Process A runs with a gemeente role that may upload; process B with a wijkteam
role that may see the dataset ``wmo`` but not upload. Both share one dataset
store and nothing else, once per backend: the SQLite file
``STAPELKAART_DATASETS_FILE``, and a fresh database in the throw-away
PostgreSQL cluster named by ``STAPELKAART_DATABASE_URL`` (skipped, saying why,
without the PostgreSQL binaries). A dataset confirmed in A
appears in B within B's poll time (``STAPELKAART_DATASETS_POLL``, 3 s here)
without a click or restart; its removal in A disappears in B at B's next click.
Every request that is not for 127.0.0.1 is aborted.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import pytest
from _browser import (
    ROOT,
    chromium,
    free_port,
    offline_context,
    require_browser,
    serve,
    streamlit_command,
)

from cbs_ingest.datasets import open_store

pytestmark = pytest.mark.browser

ROLES = """
[access]
local_role = "{local}"

[access.roles.gemeente]
levels = ["buurt", "wijk", "gemeente"]
indicators = "*"
export_levels = ["buurt", "wijk"]
export_indicators = "*"
datasets = "*"
upload = true
audit = true

[access.roles.wijkteam]
levels = ["buurt", "wijk"]
indicators = "*"
datasets = ["wmo"]
"""
LAYER = "wmo per 1.000 inwoners"


def _good() -> bytes:
    from cbs_ingest.demo import make_demo

    codes = list(make_demo()["buurt"]["code"])
    lines = ["buurtcode;wmo;inwoners"]
    lines += [f"{c};{(i * 7) % 40};{300 + i}" for i, c in enumerate(codes)]
    return "\n".join(lines).encode()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def two_apps(request, tmp_path_factory):
    """Start the app twice on one dataset store of a backend; yield both URLs and its settings.

    The settings are the environment variables that name the store (the same for
    both processes), for opening it in the test afterwards.
    """
    require_browser()
    folder = tmp_path_factory.mktemp(f"two_apps_{request.param}")
    store = {"STAPELKAART_DATASETS_FILE": str(folder / "shared" / "datasets.sqlite")}
    urls, logs = {}, []
    with ExitStack() as stack:
        if request.param == "postgres":
            import _postgres

            url = stack.enter_context(_postgres.database(request.getfixturevalue("pg_cluster")))
            store["STAPELKAART_DATABASE_URL"] = url
        else:
            # An URL from the environment must not turn the SQLite case into PostgreSQL.
            store["STAPELKAART_DATABASE_URL"] = ""
        for role in ("gemeente", "wijkteam"):
            roles = folder / f"rollen_{role}.toml"
            roles.write_text(ROLES.format(local=role), encoding="utf-8")
            port = free_port()
            env = {
                "STAPELKAART_DATA_DIR": str(folder / f"data_{role}"),
                "STAPELKAART_ROLES": str(roles),
                **store,
                "STAPELKAART_DATASETS_POLL": "3",
            }
            log = folder / f"streamlit_{role}.log"
            logs.append(log)
            command = streamlit_command(ROOT / "geo_app" / "app.py", port)
            urls[role] = stack.enter_context(serve(command, cwd=ROOT, env=env, log=log, port=port))
        yield urls, store
    for log in logs:
        assert "Traceback" not in log.read_text(errors="replace")


def _tab(page, label: str) -> None:
    page.get_by_role("tab", name=label).click()


def _layers(page) -> list[str]:
    sidebar = page.locator("[data-testid=stSidebar]")
    sidebar.locator("[data-testid=stSelectbox]").filter(has_text="Kaartlaag").click()
    options = page.get_by_role("option").all_inner_texts()
    page.keyboard.press("Escape")
    return options


def test_a_dataset_confirmed_in_one_process_appears_and_disappears_in_the_other(
    two_apps, monkeypatch, tmp_path
):
    urls, store = two_apps
    with chromium() as browser:
        context_a, blocked_a = offline_context(browser, {"width": 1400, "height": 1200})
        context_b, blocked_b = offline_context(browser, {"width": 1400, "height": 1200})
        a, b = context_a.new_page(), context_b.new_page()
        a.goto(f"{urls['gemeente']}/?tab=data&basemap=none")
        b.goto(f"{urls['wijkteam']}/?tab=data&basemap=none")
        a.locator("input[type=file]").wait_for(state="attached", timeout=60_000)
        nothing = "Voor deze gemeente en dit jaar zijn geen opgeslagen eigen gegevens"
        b.get_by_text(nothing).wait_for(timeout=60_000)
        assert LAYER not in _layers(b)

        a.locator("input[type=file]").set_input_files(
            {"name": "wmo.csv", "mimeType": "text/csv", "buffer": _good()}
        )
        a.get_by_role("button", name="Gegevens gebruiken").click()
        a.get_by_text("Opgeslagen als 'wmo', versie 1").wait_for(timeout=60_000)

        # B shows it within the poll time (3 s here), without a click, restart or upload.
        b.get_by_text("versie 1 · 60 rijen").wait_for(timeout=15_000)
        assert LAYER in _layers(b)

        # A download in A is handed out and recorded in the audit log at the click.
        _tab(a, "Tabel")
        button = a.get_by_role("button", name="CSV", exact=True)
        button.wait_for(timeout=30_000)
        with a.expect_download(timeout=30_000) as info:
            button.click()
        target = tmp_path / info.value.suggested_filename
        info.value.save_as(target)
        assert "gem_wmo" in target.read_text(encoding="utf-8")
        _tab(a, "Eigen data")
        a.get_by_role("button", name="Verwijderen voor iedereen").click()
        a.get_by_text("'wmo' (versie 1) is verwijderd voor iedereen").wait_for(timeout=30_000)
        _tab(b, "Kaart")
        _tab(b, "Eigen data")
        b.get_by_text(nothing).wait_for(timeout=30_000)
        assert LAYER not in _layers(b)
        assert not blocked_a and not blocked_b, (blocked_a, blocked_b)
        context_a.close()
        context_b.close()
    if store["STAPELKAART_DATABASE_URL"]:
        # Both processes used PostgreSQL: the SQLite file was never created.
        assert not Path(store["STAPELKAART_DATASETS_FILE"]).exists()
    for name, value in store.items():
        monkeypatch.setenv(name, value)
    log = open_store().audit_log()
    assert log["action"].tolist() == ["remove", "download", "upload"]
    assert log["detail"].iloc[1] == target.name
    assert set(log["role"]) == {"gemeente"} and set(log["who"]) == {"lokaal"}
