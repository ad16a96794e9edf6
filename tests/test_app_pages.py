"""The Streamlit app page by page, with ``streamlit.testing.v1.AppTest`` on the demo gemeente."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "geo_app" / "app.py")
DEMO_WARNING = "Fictieve voorbeelddata"


@pytest.fixture(autouse=True)
def _fresh_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield


def run_app(*, timeout: float = 60, **params: str) -> AppTest:
    """Run the app once with ``params`` in the URL; no uncaught exception allowed."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def texts(at: AppTest) -> str:
    parts = [
        e.value
        for kind in ("markdown", "caption", "info", "warning", "error", "success")
        for e in getattr(at, kind)
    ]
    parts += [e.label for e in at.metric] + [str(e.value) for e in at.metric]
    return "\n".join(str(p) for p in parts)


def test_opens_on_demo_with_notice_tabs_and_url():
    at = run_app()
    assert any(DEMO_WARNING in w.value for w in at.warning)
    assert [t.label for t in at.tabs] == [
        "Kaart",
        "Gebiedsprofiel",
        "Vergelijken",
        "Tabel",
        "Eigen data",
        "Over",
    ]
    assert at.sidebar.selectbox(key="w_gm").value == "GM9999"
    assert at.sidebar.selectbox(key="w_layer").value == "stacking_score"
    assert at.query_params["gm"] == "GM9999" and at.query_params["year"] == "2024"
    assert not at.error
    # The map tab is open: key figures are shown.
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Gebieden"] == "60"
    assert int(metrics["Met stapeling"]) > 0


def test_changing_settings_updates_the_url():
    at = run_app()
    at.sidebar.selectbox(key="w_layer").set_value("youth_care_pct").run()
    at.sidebar.selectbox(key="w_scheme").set_value("natural_breaks").run()
    at.sidebar.slider(key="w_classes").set_value(7).run()
    assert not at.exception
    assert at.query_params["layer"] == "youth_care_pct"
    assert at.query_params["scheme"] == "natural_breaks"
    assert at.query_params["classes"] == "7"
    assert any(s.value == "Jongeren met jeugdzorg (%)" for s in at.subheader)


def test_shared_url_reopens_identically():
    params = {
        "gm": "GM9999",
        "year": "2024",
        "level": "wijk",
        "layer": "hotspot",
        "scheme": "equal_interval",
        "classes": "4",
        "basemap": "none",
        "profile": "breed",
        "threshold": "70",
        "method": "ward",
        "k": "3",
        "alpha": "0.01",
        "tab": "profiel",
        "area": "WK999901",
    }
    at = run_app(**params)
    side = at.sidebar
    assert side.radio(key="w_level").value == "wijk"
    assert side.selectbox(key="w_layer").value == "hotspot"
    assert side.selectbox(key="w_scheme").value == "equal_interval"
    assert side.slider(key="w_classes").value == 4
    assert side.radio(key="w_basemap").value == "none"
    assert side.selectbox(key="w_profile").value == "breed"
    assert side.slider(key="w_threshold").value == 70
    assert side.selectbox(key="w_method").value == "ward"
    assert side.select_slider(key="w_k").value == 3
    assert side.select_slider(key="w_alpha").value == 0.01
    # The profile tab opened on the area from the link.
    assert at.selectbox(key="w_area_profile").value == "WK999901"
    assert any("Noorderhaven (WK999901)" in s.value for s in at.subheader)
    assert dict(at.query_params) == params


def test_bad_url_values_fall_back_with_a_notice():
    at = run_app(layer="<script>", classes="99", lang="xx", gm="GM0000", area="BU12", tab="zzz")
    notice = " ".join(i.value for i in at.info)
    for name in ("layer", "classes", "lang", "gm", "area", "tab"):
        assert name in notice
    assert at.sidebar.selectbox(key="w_layer").value == "stacking_score"
    assert at.sidebar.slider(key="w_classes").value == 5
    assert any(DEMO_WARNING in w.value for w in at.warning)
    assert "layer" not in at.query_params and "classes" not in at.query_params


def test_english_switch_translates_and_is_in_the_url():
    at = run_app()
    at.sidebar.segmented_control(key="w_lang").set_value("en").run()
    assert not at.exception
    assert [t.label for t in at.tabs][:2] == ["Map", "Area profile"]
    assert any("Fictitious example data" in w.value for w in at.warning)
    assert at.query_params["lang"] == "en"


def test_profile_tab_shows_area_references_and_printable_profile():
    at = run_app(tab="profiel", area="BU99990104")
    assert any("(BU99990104)" in s.value for s in at.subheader)
    body = texts(at)
    assert "Gebaseerd op" in body
    assert "fictieve gemeente: er bestaat geen landelijke referentie" in body
    assert {m.label for m in at.metric} >= {
        "Stapelingsscore",
        "Percentiel stapeling",
        "Hoge thema's",
    }
    assert "**Ruimtelijk patroon:**" in body
    frames = [df.value for df in at.dataframe]
    themes, indicators = frames[0], frames[1]
    assert list(themes.columns) == [
        "thema",
        "indicator",
        "waarde",
        "gladgestreken",
        "percentiel",
        "hoog",
    ]
    assert len(themes) == 5
    assert {"indicator", "value", "gemeente", "percentile"} <= set(indicators.columns)
    assert "national" not in indicators.columns  # none exists for the fictitious gemeente
    assert len(indicators) >= 10
    assert at.get("download_button")  # the printable profile


def test_area_picked_in_list_opens_its_profile():
    at = run_app(tab="profiel")
    assert any("Klik op een gebied" in i.value for i in at.info)
    at.selectbox(key="w_area_profile").set_value("BU99990200").run()
    assert at.query_params["area"] == "BU99990200"
    assert any("(BU99990200)" in s.value for s in at.subheader)


def test_compare_tab_puts_areas_side_by_side():
    at = run_app(tab="vergelijken")
    assert any("minstens twee" in i.value for i in at.info)
    at.multiselect(key="w_cmp").set_value(["BU99990100", "BU99990200", "BU99990300"]).run()
    assert not at.exception
    wide = at.dataframe[0].value
    assert len(wide.columns) == 3 and all("(BU9999" in c for c in wide.columns)
    assert at.query_params["cmp"] == "BU99990100,BU99990200,BU99990300"


def test_table_tab_lists_every_area_sorted_by_stacking():
    at = run_app(tab="tabel", level="wijk")
    table = at.dataframe[0].value
    assert len(table) == 6
    assert table["stacking_score"].is_monotonic_decreasing
    assert {"name", "code", "cluster_label", "hotspot"} <= set(table.columns)


def test_about_tab_names_sources_licence_and_privacy():
    at = run_app(tab="over")
    body = texts(at)
    for needle in (
        "CBS Kerncijfers Wijken en Buurten",
        "Wijk- en buurtkaart",
        "CC BY 4.0",
        "Privacy",
        "onderdrukt",
        "geaggregeerde",
    ):
        assert needle in body


def test_a_stapelkaart_error_becomes_a_dutch_message(monkeypatch):
    from cbs_ingest.errors import InputError
    from geo_app.session import analysis

    def broken(*args, **kwargs):
        raise InputError("broken on purpose", nl="Deze analyse kan niet: opzettelijk kapot.")

    monkeypatch.setattr(analysis, "analyse", broken)
    at = run_app()
    assert [e.value for e in at.error] == ["Deze analyse kan niet: opzettelijk kapot."]


def test_an_unexpected_error_shows_no_traceback(monkeypatch):
    from geo_app.session import analysis

    def broken(*args, **kwargs):
        raise RuntimeError("internal detail that must not leak")

    monkeypatch.setattr(analysis, "analyse", broken)
    at = run_app()
    assert len(at.error) == 1
    assert "internal detail" not in at.error[0].value
    assert "onverwachts" in at.error[0].value


def test_english_profile_names_indicators_and_themes_in_english():
    at = run_app(lang="en", tab="profiel", area="BU99990104")
    themes, indicators = at.dataframe[0].value, at.dataframe[1].value
    assert "Corporation housing" in set(themes["thema"])
    assert "Rented dwellings (%)" in set(indicators["indicator"])
    assert "Huurwoningen (%)" not in set(indicators["indicator"])
    body = texts(at)
    assert "fictitious municipality" in body and "Based on 5 indicators" in body


def test_printable_profile_keeps_dutch_indicator_names():
    import pandas as pd

    from geo_app.views.profile import _dutch_labels

    english = pd.DataFrame(
        {"key": ["pct_rental", "gem_wmo"], "indicator": ["Rented dwellings (%)", "gem_wmo"]}
    )
    assert list(_dutch_labels(english)["indicator"]) == ["Huurwoningen (%)", "gem_wmo"]


def test_no_streamlit_pages_folder_beside_the_app():
    """A ``pages/`` folder next to ``app.py`` turns on Streamlit's multipage navigation."""
    app_dir = Path(APP).parent
    assert not (app_dir / "pages").exists()
    assert (app_dir / "views" / "map.py").is_file()


def test_compare_picker_speaks_the_language_of_the_ui():
    dutch = run_app(tab="vergelijken")
    assert dutch.multiselect(key="w_cmp").proto.placeholder == "Kies gebieden…"
    english = run_app(tab="vergelijken", lang="en")
    assert english.multiselect(key="w_cmp").proto.placeholder == "Choose areas…"
