"""Uploads, disclosure control, roles and exports wired into the app (AppTest, demo gemeente)."""

from __future__ import annotations

import io
import json
import re
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import streamlit as st
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest

from cbs_ingest.demo import make_demo
from geo_app.access.roles import ENV_VAR
from geo_app.session import own_data as _own_data
from layers.export import read_csv_table
from layers.upload import validate_upload

APP = str(Path(__file__).resolve().parents[1] / "geo_app" / "app.py")
KEY = "up_GM9999_2024"

ROLES = """
[access]
local_role = "{local}"

[access.roles.gemeente]
label = "Gemeente"
levels = ["buurt", "wijk", "gemeente"]
indicators = "*"
export_levels = ["buurt", "wijk", "gemeente"]
export_indicators = "*"
datasets = "*"
upload = true

[access.roles.wijkteam]
label = "Wijkteam"
levels = ["buurt", "wijk"]
indicators = ["youth_care_pct", "wmo_per_1000", "stacking_score", "gem_wmo"]
export_levels = ["wijk"]
export_indicators = ["wmo_per_1000", "gem_wmo"]
datasets = ["wmo_2024"]
upload = true

[access.roles.corporatie]
label = "Woningcorporatie"
levels = ["wijk", "gemeente"]
indicators = ["pct_corporation_owned", "bijstand_per_1000_15_65", "stacking_score"]
datasets = []

[access.roles.smal]
label = "Smal"
levels = ["buurt"]
indicators = ["youth_care_pct"]
export_levels = ["buurt"]
export_indicators = ["youth_care_pct"]

[access.roles.niets]
label = "Alleen gemeente"
levels = ["gemeente"]
indicators = "*"
"""


#: Words that would tell why a cell is hidden; no download or screen may contain them.
REASON_WORDS = re.compile(r"primai?r|secundai?r|secondary|primary", re.IGNORECASE)


@pytest.fixture(autouse=True)
def _fresh(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield


def _codes() -> list[str]:
    return list(make_demo()["buurt"]["code"])


def good_csv() -> bytes:
    """Wmo clients and inhabitants per demo buurt; some counts below 10."""
    lines = ["buurtcode;wmo;inwoners"]
    lines += [f"{c};{(i * 7) % 40};{300 + i}" for i, c in enumerate(_codes())]
    return "\n".join(lines).encode()


BAD_CSV = b"buurtcode;wmo\nBU99990000;-3\nBU12345678;12\n"
UNEXPECTED = "Er ging iets onverwachts mis"


def ok(at: AppTest) -> AppTest:
    """No exception and no unexpected error (the app catches those and logs them)."""
    assert not at.exception, [e.message for e in at.exception]
    assert not [e.value for e in at.error if UNEXPECTED in e.value]
    return at


def run_app(
    tmp_path=None,
    monkeypatch=None,
    local: str | None = None,
    *,
    record_warnings: bool = False,
    **params,
) -> AppTest:
    """Run the app once with ``params`` in the URL, and local role ``local`` if given.

    ``record_warnings`` keeps the run's warnings in ``at.caught_warnings`` instead of
    letting them through to pytest.
    """
    if local is not None:
        path = tmp_path / "rollen.toml"
        path.write_text(ROLES.format(local=local), encoding="utf-8")
        monkeypatch.setenv(ENV_VAR, str(path))
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    if record_warnings:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            at.run()
        at.caught_warnings = [str(w.message) for w in caught]
    else:
        at.run()
    return ok(at)


def texts(at: AppTest) -> str:
    kinds = ("markdown", "caption", "info", "warning", "error", "success", "text")
    return "\n".join(str(e.value) for kind in kinds for e in getattr(at, kind))


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader(key=f"{KEY}_file").set_value((name, data, "text/csv"))
    at.run()
    return ok(at)


def confirm(at: AppTest) -> AppTest:
    at.button(key=f"{KEY}_confirm").click()
    at.run()
    return ok(at)


GEM_WMO = "wmo per 1.000 inwoners"  # label of the joined layer gem_wmo


def layer_options(at: AppTest) -> list[str]:
    """Labels of the map layers offered in the sidebar."""
    return list(at.sidebar.selectbox(key="w_layer").options)


# -- uploads -------------------------------------------------------------------------------


def test_bad_upload_shows_dutch_findings_and_joins_nothing():
    at = run_app(tab="data")
    before = layer_options(at)
    upload(at, "fout.csv", BAD_CSV)
    body = texts(at)
    assert "kan niet gebruikt worden" in body and "niets opgeslagen" in body
    assert not [b for b in at.button if b.key == f"{KEY}_confirm"]
    assert not at.session_state["upload"] if "upload" in at.session_state else True
    assert layer_options(at) == before


def test_good_upload_joins_only_after_confirmation_with_suppression(tmp_path):
    at = run_app(tab="data")
    upload(at, "wmo.csv", good_csv())
    assert "gecontroleerd: 60 gebieden" in texts(at)
    assert GEM_WMO not in layer_options(at)  # not before confirming
    confirm(at)
    state = at.session_state["upload"]
    assert set(state) == {(2024, "GM9999", "buurt"), (2024, "GM9999", "wijk")}
    entry = state[(2024, "GM9999", "buurt")]
    assert entry["names"] == ["wmo"]
    # Every count below 10 is hidden in the frame that reaches the analysis.
    wmo = entry["frame"].set_index("code")["gem_wmo"]
    small = [c for i, c in enumerate(_codes()) if (i * 7) % 40 < 10]
    assert small and wmo[small].isna().all()
    assert set(small) <= set(entry["suppressed"]["gem_wmo"])
    # The joined indicator is a map layer (named after its label) and explained.
    assert GEM_WMO in layer_options(at)
    body = texts(at)
    assert "Gekoppeld als 'wmo'" in body and "Verborgen:" in body
    assert not REASON_WORDS.search(body)
    # Pick the layer: the map is drawn with suppressed areas marked.
    at.sidebar.selectbox(key="w_layer").set_value("gem_wmo").run()
    ok(at)
    assert at.query_params["layer"] == "gem_wmo"
    # Table tab: suppressed cells are explained, downloads offered.
    at.query_params["tab"] = "tabel"
    at.session_state["settings"]["tab"] = "tabel"
    at.run()
    ok(at)
    assert "verborgen (kleine aantallen" in texts(at)
    table = at.dataframe[0].value
    assert "gem_wmo" in table.columns
    shown = table.set_index("code")["gem_wmo"]
    assert shown[small].isna().all() and shown.notna().sum() > 0
    assert {b.key for b in at.get("download_button")} >= {"dl_csv", "dl_xlsx", "dl_gpkg"}
    # Profile of an area with a hidden count: the row is there, empty, and explained.
    at.session_state["settings"]["tab"] = "profiel"
    at.session_state["settings"]["area"] = small[0]
    at.run()
    ok(at)
    profile = next(
        df.value
        for df in at.dataframe
        if "indicator" in df.value.columns and "value" in df.value.columns
    )
    row = profile.loc[profile["indicator"] == GEM_WMO]
    assert len(row) == 1 and row["value"].iloc[0] == "–"
    assert (profile["gemeente"] != "–").sum() >= 5  # this role sees the gemeente reference
    assert "Onderdrukt (kleine aantallen) in dit gebied: gem_wmo" in texts(at)


def test_a_second_bad_upload_keeps_the_confirmed_data():
    at = confirm(upload(run_app(tab="data"), "wmo.csv", good_csv()))
    before = at.session_state["upload"][(2024, "GM9999", "buurt")]["key"]
    upload(at, "fout.csv", BAD_CSV)
    assert "kan niet gebruikt worden" in texts(at)
    assert at.session_state["upload"][(2024, "GM9999", "buurt")]["key"] == before
    assert GEM_WMO in layer_options(at)


def test_removing_the_confirmed_data_removes_the_layer():
    at = confirm(upload(run_app(tab="data"), "wmo.csv", good_csv()))
    assert GEM_WMO in layer_options(at)
    at.button(key=f"{KEY}_remove").click()
    at.run()
    ok(at)
    assert not at.session_state["upload"]
    assert GEM_WMO not in layer_options(at)


def test_wijk_level_sees_protected_sums_of_the_buurten():
    frames = make_demo()
    result = validate_upload(
        good_csv(), "wmo.csv", level="buurt", gemeentecode="GM9999", known_codes=_codes()
    )
    built = _own_data.build_entries(frames, result, name="wmo_2024")
    assert set(built) == {"buurt", "wijk"}
    buurt = built["buurt"]["frame"].set_index("code")
    wijk = built["wijk"]["frame"].set_index("code")
    raw = result.frame.set_index("code")["wmo"]
    for code, row in wijk.iterrows():
        children = frames["buurt"].loc[frames["buurt"]["wijkcode"] == code, "code"]
        hidden = buurt.loc[children, "gem_wmo"].isna()
        if not np.isnan(row["gem_wmo"]):
            assert row["gem_wmo"] == raw[children].sum()
            # never exactly one hidden buurt under a published wijk total
            assert hidden.sum() != 1
    text = _own_data.describe(built["buurt"])
    assert "In deze gegevens zijn" in text and "verborgen" in text
    assert not REASON_WORDS.search(text)


def test_wijk_file_does_not_reach_buurten():
    frames = make_demo()
    wijken = list(frames["wijk"]["code"])
    data = ("wijkcode;wmo\n" + "\n".join(f"{c};{50 + i}" for i, c in enumerate(wijken))).encode()
    result = validate_upload(data, "w.csv", level="wijk", gemeentecode="GM9999", known_codes=wijken)
    built = _own_data.build_entries(frames, result, name="w")
    assert set(built) == {"wijk"}
    assert built["wijk"]["frame"]["gem_wmo"].notna().all()


# -- exports -------------------------------------------------------------------------------


def _ctx_after_upload():
    """A context like the app's, built from the same pieces, with own data joined."""
    from geo_app.access.roles import LOCAL_ROLE
    from geo_app.session.context import Context
    from geo_app.session.data import indicators
    from geo_app.views.sidebar import analysis_options

    frames = make_demo()
    result = validate_upload(
        good_csv(), "wmo.csv", level="buurt", gemeentecode="GM9999", known_codes=_codes()
    )
    entry = _own_data.build_entries(frames, result, name="wmo")["buurt"]
    from geo_app.session import data as _data

    loaded = _data.load(2024, "GM9999", ("GM9999",))
    values = {
        "level": "buurt",
        "profile": "default",
        "threshold": 80,
        "scope": "gemeente",
        "method": "kmeans",
        "k": 0,
        "alpha": 0.05,
    }
    from geo_app.session.analysis import analyse

    table, analysis = analyse(
        2024,
        "GM9999",
        "buurt",
        analysis_options(values),
        ("GM9999",),
        upload_key=entry["key"],
        frame=entry["frame"],
        extra=entry["extra"],
    )
    return Context(
        lang="nl",
        settings=values,
        loaded=loaded,
        table=table,
        infos=indicators(table.columns, extra=entry["extra"]),
        layers={},
        analysed=True,
        result=analysis,
        upload_names=entry["names"],
        request=("GM9999",),
        role=LOCAL_ROLE,
        upload=entry,
    ), entry


def test_every_export_carries_sources_settings_and_the_real_suppression(tmp_path):
    from geo_app.views.export import export_bytes

    ctx, entry = _ctx_after_upload()
    ctx.table.loc[0, "name"] = '=HYPERLINK("http://x")'  # a hostile name must stay text
    hidden = entry["suppressed"]["gem_wmo"]
    csv_bytes = export_bytes(ctx, "csv")
    head = csv_bytes.decode("utf-8").split("\r\n")
    assert any("onderdrukking" in line and "verborgen" in line for line in head)
    assert not REASON_WORDS.search(csv_bytes.decode("utf-8"))
    assert any("onderdrukte_cellen" in line and hidden[0] in line for line in head)
    (tmp_path / "a.csv").write_bytes(csv_bytes)
    table = read_csv_table(tmp_path / "a.csv")
    assert table.loc[0, "name"].startswith("'=")
    assert table.set_index("code").loc[hidden, "gem_wmo"].isna().all()

    book = load_workbook(io.BytesIO(export_bytes(ctx, "xlsx")))
    meta = dict(book["bronnen en instellingen"].iter_rows(min_row=2, values_only=True))
    assert meta["bronnen.bron"].startswith("Fictieve voorbeelddata")
    assert "verborgen" in meta["onderdrukking"] and meta["instellingen.Eigen gegevens"] == "wmo"
    assert not REASON_WORDS.search(" ".join(str(v) for v in meta.values()))

    collection = json.loads(export_bytes(ctx, "geojson"))
    assert "In deze gegevens" in collection["stapelkaart"]["onderdrukking"]
    assert not REASON_WORDS.search(json.dumps(collection["stapelkaart"], ensure_ascii=False))
    values = {f["properties"]["code"]: f["properties"]["gem_wmo"] for f in collection["features"]}
    assert all(values[c] is None for c in hidden)

    (tmp_path / "a.gpkg").write_bytes(export_bytes(ctx, "gpkg"))
    layer = gpd.read_file(tmp_path / "a.gpkg", layer="stapelkaart")
    assert len(layer) == 60 and layer.set_index("code").loc[hidden, "gem_wmo"].isna().all()
    meta = gpd.read_file(tmp_path / "a.gpkg", layer="bronnen_en_instellingen")
    assert "onderdrukking" in set(
        meta["onderdrukking"] if "onderdrukking" in meta else meta.iloc[:, 0]
    )
    assert not REASON_WORDS.search(meta.to_csv())


def test_the_printable_profile_and_notes_never_say_why_a_cell_is_hidden():
    from geo_app.views.export import export_meta
    from geo_app.views.profile_report import area_profile, profile_html

    ctx, entry = _ctx_after_upload()
    log = entry["log"]
    assert set(log["reason"]) == {"primary", "secondary"}  # both kinds are hidden here
    pages = {}
    for reason in ("primary", "secondary"):
        code = log.loc[log["reason"] == reason, "code"].iloc[0]
        notes = _own_data.notes_nl(entry, code)
        meta = export_meta(ctx)
        page = profile_html(
            area_name="Gebied",
            area_code=code,
            gemeente_name="Stapeldam",
            profile=area_profile(ctx.table, code, ctx.infos),
            summary={},
            sources=meta["sources"],
            settings=meta["settings"],
            suppression=meta["suppression"] + " Onderdrukt in dit gebied: " + "; ".join(notes),
        )
        assert "verborgen" in page and not REASON_WORDS.search(page)
        pages[reason] = notes
    assert pages["primary"] == pages["secondary"]  # the same words for either kind


def test_export_respects_the_role():
    from geo_app.access.resolve import filter_table
    from geo_app.access.roles import load_access_config

    ctx, _ = _ctx_after_upload()
    config = load_access_config(
        environ={}, secrets={"access": _roles_dict("wijkteam")}, indicators=None
    )
    role = config.roles["wijkteam"]
    out = filter_table(ctx.table, role, purpose="export")
    assert "gem_wmo" in out.columns and "wmo_per_1000" in out.columns
    assert "youth_care_pct" not in out.columns and "pct_rental" not in out.columns
    assert "stacking_score" not in out.columns and "geometry" in out.columns


def test_the_list_of_hidden_cells_names_only_columns_the_role_may_export():
    from geo_app.access.roles import load_access_config
    from geo_app.views.export import export_meta

    ctx, _ = _ctx_after_upload()
    assert any("gem_wmo" in c for c in export_meta(ctx)["suppressed_cells"])
    config = load_access_config(
        environ={}, secrets={"access": _roles_dict("smal")}, indicators=None
    )
    ctx.role = config.roles["smal"]  # may export youth_care_pct only
    assert export_meta(ctx)["suppressed_cells"] == []


def _roles_dict(local: str) -> dict:
    import tomllib

    return tomllib.loads(ROLES.format(local=local))["access"]


# -- roles ---------------------------------------------------------------------------------


def test_corporatie_sees_no_buurt_level_no_municipal_data_and_no_downloads(tmp_path, monkeypatch):
    at = run_app(tmp_path, monkeypatch, local="corporatie", tab="tabel")
    assert at.sidebar.radio(key="w_level").options == ["Wijken"]
    assert at.sidebar.radio(key="w_level").value == "wijk"
    options = layer_options(at)
    assert set(options) == {
        "Stapelingsscore",
        "Woningen van een woningcorporatie (%)",
        "Bijstand per 1.000 inwoners van 15-65 jaar",
        "Verandering over de jaren (reeksen CBS)",  # of bijstand, the one theme it may see
    }
    assert at.session_state["settings"]["thema"] == "bijstand"
    table = at.dataframe[0].value
    assert "youth_care_pct" not in table.columns and "wmo_per_1000" not in table.columns
    assert "mag op dit niveau geen gegevens downloaden" in texts(at)
    assert not at.get("download_button")
    assert "Woningcorporatie" in texts(at)  # the role is shown in the sidebar
    # A link asking for buurten falls back to wijken.
    at2 = run_app(tmp_path, monkeypatch, local="corporatie", level="buurt")
    assert at2.sidebar.radio(key="w_level").value == "wijk"


def test_corporatie_cannot_upload_and_sees_no_joined_dataset(tmp_path, monkeypatch):
    at = run_app(tmp_path, monkeypatch, local="corporatie", tab="data")
    assert "mag geen eigen gegevens toevoegen" in texts(at)
    assert not at.get("file_uploader")


def test_wijkteam_exports_only_wijk_and_its_dataset(tmp_path, monkeypatch):
    at = run_app(tmp_path, monkeypatch, local="wijkteam", tab="data")
    assert at.selectbox(key=f"{KEY}_name").options == ["wmo_2024"]
    confirm(upload(at, "wmo.csv", good_csv()))
    assert GEM_WMO in layer_options(at)
    at.session_state["settings"]["tab"] = "tabel"
    at.run()
    assert "mag op dit niveau geen gegevens downloaden" in texts(at)  # buurt level
    at.session_state["settings"]["tab"] = "profiel"
    at.session_state["settings"]["area"] = _codes()[0]
    at.run()
    ok(at)
    assert not at.get("download_button")  # no printable profile at buurt level either
    # No gemeente level for this role: no gemeente reference beside the area either.
    profile = next(df.value for df in at.dataframe if "gemeente" in df.value.columns)
    assert (profile["gemeente"] == "–").all()
    at.session_state["settings"]["tab"] = "tabel"
    at.run()
    at.sidebar.radio(key="w_level").set_value("wijk").run()
    ok(at)
    assert {b.key for b in at.get("download_button")} >= {"dl_csv", "dl_gpkg"}


def test_role_without_buurt_or_wijk_gets_a_dutch_message(tmp_path, monkeypatch):
    at = run_app(tmp_path, monkeypatch, local="niets")
    assert "geen toegang tot cijfers per buurt of wijk" in texts(at)
    assert not at.tabs


def test_broken_roles_file_stops_with_a_dutch_message(tmp_path, monkeypatch):
    path = tmp_path / "rollen.toml"
    path.write_text('[access.roles.x]\nlevels = ["straat"]\n', encoding="utf-8")
    monkeypatch.setenv(ENV_VAR, str(path))
    at = AppTest.from_file(APP, default_timeout=60).run()
    ok(at)
    assert "Fout in de rollenconfiguratie" in at.error[0].value
    assert "straat" in at.error[0].value


def test_oidc_configured_asks_to_log_in():
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = {
        "redirect_uri": "http://127.0.0.1:8501/oauth2callback",
        "cookie_secret": "x" * 32,
        "client_id": "id",
        "client_secret": "secret",
        "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
    }
    at.run()
    ok(at)
    assert "Log in om Stapelkaart te gebruiken" in texts(at)
    assert [b.label for b in at.button] == ["Inloggen"]
    assert not at.tabs


def test_local_mode_without_configuration_sees_everything():
    at = run_app()
    assert "Lokaal gebruik (één gebruiker)" in texts(at)
    assert at.sidebar.radio(key="w_level").options == ["Buurten", "Wijken"]
    assert pd.Series(layer_options(at)).str.len().gt(0).all()


def test_map_of_an_own_layer_marks_suppressed_areas():
    from geo_app.mapview.elements import ChoroplethLayer
    from geo_app.views import map as _page_map

    ctx, entry = _ctx_after_upload()
    ctx.settings |= {
        "layer": "gem_wmo",
        "scheme": "quantiles",
        "classes": 5,
        "wijken": False,
        "basemap": "none",
        "area": None,
    }
    fmap = _page_map.build(ctx)

    def layers(element):
        for child in element._children.values():
            if isinstance(child, ChoroplethLayer):
                yield child
            yield from layers(child)

    (layer,) = list(layers(fmap))
    features = json.loads(layer.data_json)["features"]
    flagged = {f["properties"]["code"] for f in features if f["properties"].get("x")}
    assert flagged == set(entry["suppressed"]["gem_wmo"]) and len(flagged) >= 5
    assert all(f["properties"]["c"] == -1 for f in features if f["properties"].get("x"))
    # Coloured: exactly the areas with a value (a few more are missing: under 100 inhabitants).
    assert sum(f["properties"]["c"] >= 0 for f in features) == ctx.table["gem_wmo"].notna().sum()
    assert ctx.table["gem_wmo"].notna().sum() > 30


def _as_logged_in(monkeypatch, tmp_path, email: str, role_name: str | None):
    """Pretend an OIDC login happened (Streamlit's st.user cannot be set in AppTest)."""
    from geo_app.access import resolve as _access
    from geo_app.access import roles

    path = tmp_path / "rollen.toml"
    path.write_text(ROLES.format(local="gemeente"), encoding="utf-8")
    monkeypatch.setenv(ENV_VAR, str(path))

    def fake(config=None):
        role = config.roles[role_name] if role_name else None
        reason = "" if role else "U bent ingelogd, maar aan uw account is geen rol toegekend."
        return roles.Session("oidc", True, email, role, reason)

    monkeypatch.setattr(_access, "current_session", fake)
    monkeypatch.setattr(roles, "current_session", fake)


def test_logged_in_person_sees_account_role_and_logout(monkeypatch, tmp_path):
    _as_logged_in(monkeypatch, tmp_path, "medewerker@woonstichting.example", "corporatie")
    at = ok(AppTest.from_file(APP, default_timeout=60).run())
    assert "Ingelogd als medewerker@woonstichting.example (Woningcorporatie)" in texts(at)
    assert "Uitloggen" in [b.label for b in at.sidebar.button]
    assert at.sidebar.radio(key="w_level").value == "wijk"


def test_logged_in_person_without_role_gets_no_data(monkeypatch, tmp_path):
    _as_logged_in(monkeypatch, tmp_path, "iemand@elders.example", None)
    at = ok(AppTest.from_file(APP, default_timeout=60).run())
    assert "geen rol toegekend" in texts(at)
    assert [b.label for b in at.button] == ["Uitloggen"]
    assert not at.tabs and not at.dataframe


def _with_auth(monkeypatch, tmp_path, session):
    """Login configured; ``current_session`` returns ``session`` or raises it."""
    from geo_app.access import resolve as _access
    from geo_app.access import roles

    path = tmp_path / "rollen.toml"
    path.write_text(ROLES.format(local="gemeente"), encoding="utf-8")
    monkeypatch.setenv(ENV_VAR, str(path))

    def fake(config=None):
        if isinstance(session, Exception):
            raise session
        return session(config) if callable(session) else session

    monkeypatch.setattr(_access, "current_session", fake)
    monkeypatch.setattr(roles, "current_session", fake)


def _denied(at: AppTest) -> str:
    """The run ended without data: no tabs, no tables, no downloads; returns the texts."""
    assert not at.exception, at.exception
    assert not at.tabs and not at.dataframe and not at.get("download_button")
    return texts(at)


def test_an_error_while_looking_up_the_role_means_no_access(monkeypatch, tmp_path):
    _with_auth(monkeypatch, tmp_path, RuntimeError("identity provider unreachable"))
    body = _denied(AppTest.from_file(APP, default_timeout=60).run())
    assert "Uw rol kon niet worden vastgesteld" in body and "geen toegang" in body
    assert "unreachable" not in body  # no technical detail, no traceback


def test_a_missing_email_claim_means_no_access(monkeypatch, tmp_path):
    from geo_app.access import roles

    # The real claim mapping, with a user whose token carries no e-mail and no groups.
    def session(config):
        role = roles.resolve_role(config, {"is_logged_in": True, "name": "Iemand"})
        return roles.Session("oidc", True, None, role, "")

    _with_auth(monkeypatch, tmp_path, session)
    body = _denied(AppTest.from_file(APP, default_timeout=60).run())
    assert "geen rol toegekend" in body


def test_an_unknown_user_means_no_access_even_with_a_local_role(monkeypatch, tmp_path):
    from geo_app.access import resolve as _access
    from geo_app.access import roles

    # The roles file has a local_role ("gemeente"); with login it must never be used.

    unknown = roles.Session("oidc", True, "vreemde@elders.example", None, "")
    _with_auth(monkeypatch, tmp_path, unknown)
    # Not even a no-access screen that forgets to stop the run may let the local role in.
    monkeypatch.setattr(roles, "require_role", lambda config=None: None)
    monkeypatch.setattr(_access, "require_role", lambda config=None: None, raising=False)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert "geen rol toegekend" in _denied(at)
    assert [b.label for b in at.button] == ["Uitloggen"]


def test_a_person_not_logged_in_sees_only_the_login(monkeypatch, tmp_path):
    from geo_app.access import roles

    anonymous = roles.Session("oidc", False, None, None, "Log in om Stapelkaart te gebruiken.")
    _with_auth(monkeypatch, tmp_path, anonymous)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert "Log in om Stapelkaart te gebruiken" in _denied(at)
    assert [b.label for b in at.button] == ["Inloggen"]


def test_a_broken_roles_file_means_no_access(monkeypatch, tmp_path):
    path = tmp_path / "rollen.toml"
    path.write_text(ROLES.format(local="bestaat_niet"), encoding="utf-8")
    monkeypatch.setenv(ENV_VAR, str(path))
    body = _denied(AppTest.from_file(APP, default_timeout=60).run())
    assert "bestaat_niet" in body


def test_exports_of_cbs_data_name_table_year_and_retrieval_date():
    from dataclasses import replace

    from geo_app.views.export import export_bytes

    ctx, _ = _ctx_after_upload()
    ctx.loaded = replace(
        ctx.loaded,
        code="GM0505",
        provenance={"table_id": "85984NED", "retrieved_at": "2026-11-01T10:15:00+00:00"},
    )
    head = [line for line in export_bytes(ctx, "csv").decode().split("\r\n") if "#" in line]
    assert "# bronnen.tabel: 85984NED" in head
    assert "# bronnen.jaar: 2024" in head
    assert "# bronnen.opgehaald: 2026-11-01 10:15" in head
    assert any(line.startswith("# instellingen.Indicatorprofiel: default") for line in head)
    book = load_workbook(io.BytesIO(export_bytes(ctx, "xlsx")))
    meta = dict(book["bronnen en instellingen"].iter_rows(min_row=2, values_only=True))
    assert meta["bronnen.tabel"] == "85984NED" and meta["instellingen.Niveau"] == "buurt"


def test_denominators_are_protected_but_no_layer_of_their_own():
    frames = make_demo()
    plain = validate_upload(
        good_csv(), "wmo.csv", level="buurt", gemeentecode="GM9999", known_codes=_codes()
    )
    built = _own_data.build_entries(frames, plain, name="wmo")["buurt"]
    assert [i.key for i in built["extra"]] == ["gem_wmo"]  # 'inwoners' is a base, not a layer
    assert built["extra"][0].unit == "per_1000"
    paired = validate_upload(
        good_csv(),
        "wmo.csv",
        level="buurt",
        gemeentecode="GM9999",
        known_codes=_codes(),
        pairs={"wmo": "inwoners"},
    )
    built = _own_data.build_entries(frames, paired, name="wmo")["buurt"]
    (indicator,) = built["extra"]
    assert indicator.unit == "percent" and indicator.denominator == "column:gem_inwoners"
    assert "gem_inwoners" in built["frame"].columns  # joined and passed through disclosure
    assert set(built["log"]["column"]) <= {"gem_wmo", "gem_inwoners"}


def test_upload_tab_in_english():
    at = run_app(tab="data", lang="en")
    upload(at, "fout.csv", BAD_CSV)
    body = texts(at)
    assert "The file cannot be used" in body and "Nothing was stored" in body
    issues = next(df.value for df in at.dataframe if "Message" in df.value.columns)
    assert issues["Message"].str.contains("negative|unknown", case=False).any()
    upload(at, "wmo.csv", good_csv())
    assert "The file was checked: 60 areas" in texts(at)
    assert at.button(key=f"{KEY}_confirm").label == "Use the data"
    confirm(at)
    assert "Joined as 'wmo'" in texts(at)


def test_a_valid_file_that_cannot_be_joined_changes_nothing():
    # '%%%' passes validation as a header but gives no column name to join under.
    odd = (
        "buurtcode;%%%;wmo\n" + "\n".join(f"{c};{20 + i};{30 + i}" for i, c in enumerate(_codes()))
    ).encode()
    at = confirm(upload(run_app(tab="data"), "wmo.csv", good_csv()))
    before = at.session_state["upload"][(2024, "GM9999", "buurt")]["key"]
    confirmed = at.session_state[f"{KEY}_confirmed"]
    confirm(upload(at, "raar.csv", odd))
    errors = " ".join(e.value for e in at.error)
    assert "konden niet gekoppeld worden" in errors and "geen letters of cijfers" in errors
    assert at.session_state["upload"][(2024, "GM9999", "buurt")]["key"] == before
    assert at.session_state[f"{KEY}_confirmed"] is confirmed
    assert GEM_WMO in layer_options(at)


def test_a_file_that_cannot_be_joined_is_not_kept_as_confirmed():
    odd = ("buurtcode;%%%\n" + "\n".join(f"{c};{20 + i}" for i, c in enumerate(_codes()))).encode()
    at = confirm(upload(run_app(tab="data"), "raar.csv", odd))
    assert "konden niet gekoppeld worden" in " ".join(e.value for e in at.error)
    assert not at.session_state["upload"] if "upload" in at.session_state else True
    assert f"{KEY}_confirmed" not in at.session_state


def test_role_without_analysis_layers_sees_only_its_indicator(tmp_path, monkeypatch):
    at = run_app(tmp_path, monkeypatch, local="smal", tab="tabel")
    assert layer_options(at) == ["Jongeren met jeugdzorg (%)"]
    assert list(at.dataframe[0].value.columns) == ["name", "code", "wijkcode", "youth_care_pct"]
    assert {b.key for b in at.get("download_button")} >= {"dl_csv"}
    at.session_state["settings"]["tab"] = "profiel"
    at.session_state["settings"]["area"] = _codes()[1]
    at.run()
    ok(at)
    assert not at.metric  # no stacking figures for this role
    (profile,) = [df.value for df in at.dataframe]
    assert profile["indicator"].tolist() == ["Jongeren met jeugdzorg (%)"]
