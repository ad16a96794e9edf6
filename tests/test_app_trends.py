"""Trends over the years in the app: profile, compare tab, printable profile (AppTest).

Dordrecht (GM0505) is ingested into the test's area store from the real KWB 2024 data;
the fake CBS server also serves the real social-domain series of ``tests/fixtures/real``,
which the app fetches (with a progress bar) the first time a profile is opened.
"""

from __future__ import annotations

import pytest
import streamlit as st
from _real import FIXTURE_RAW
from fake_cbs_series import series_tables_from_dumps
from streamlit.testing.v1 import AppTest
from test_app_pages import run_app, texts

import cbs_ingest
from geo_app.session import trends as session_trends

pytestmark = pytest.mark.real_data

OFFLINE = "http://127.0.0.1:9"
WIJK = "WK050501"  # Binnenstad: unchanged boundaries, a trend in every theme
REFUSED = "WK050507"  # Wielwijk: boundaries changed in 2022 (CBS-indelingswijziging 3)


@pytest.fixture(scope="module")
def series_tables():
    return series_tables_from_dumps(FIXTURE_RAW)


@pytest.fixture
def dordrecht(cbs_server, cbs_gpkg, series_tables, monkeypatch):
    """Dordrecht's KWB 2024 in the store; CBS serves the series; PDOK is down."""
    cbs_ingest.load(2024, ["GM0505"], geometry_file=cbs_gpkg)
    cbs_server.tables.update(series_tables)
    monkeypatch.setenv("STAPELKAART_PDOK_URL", OFFLINE)
    st.cache_data.clear()
    st.cache_resource.clear()
    session_trends.clear()
    yield cbs_server
    st.cache_data.clear()
    st.cache_resource.clear()


def _run(**params: str) -> AppTest:
    return run_app(timeout=120, gm="GM0505", year="2024", level="wijk", **params)


def _charts(at: AppTest) -> list:
    return list(at.get("vega_lite_chart"))


def test_profile_of_a_dordrecht_wijk_shows_the_trend_charts(dordrecht, monkeypatch):
    at = _run(tab="profiel", area=WIJK)
    assert not at.error, [e.value for e in at.error]
    body = texts(at)
    assert "Ontwikkeling over de jaren (2016–2024)" in body
    # one chart per theme (Wmo, jeugdzorg, voorzieningen) beside the percentile chart
    assert len(_charts(at)) >= 4
    assert body.count("helling") >= 3 and "Geen trend" not in body
    assert "Wmo-cliënten per 1.000 inwoners stijgt" in body
    assert "Oplopend: de aantallen van de laatste 2 jaar" in body  # the rule in Dutch
    assert "staat standaard uit" in body and "Niet geharmoniseerd" in body
    assert "--whole-country" in body  # no national line without the whole-country series
    assert "de reeks begint in 2017" in body  # youth care's change of definition
    # the signal is off by default; switched on, each theme says whether it is oplopend
    toggle = at.checkbox(key="trend_signal_profile")
    assert toggle.value is False and "Signaal:" not in body
    toggle.check().run()
    assert texts(at).count("Signaal:") >= 3
    # the series are in the area store now: with CBS down a new process shows them too
    monkeypatch.setenv("STAPELKAART_CBS_URL", OFFLINE)
    st.cache_resource.clear()
    again = _run(tab="profiel", area=WIJK)
    assert "Ontwikkeling over de jaren (2016–2024)" in texts(again)
    assert len(_charts(again)) >= 4


def test_a_refused_wijk_shows_its_reason_and_no_slope(dordrecht):
    at = _run(tab="profiel", area=REFUSED)
    body = texts(at)
    assert body.count("Geen trend: grenzen gewijzigd in 2022") >= 3
    assert "helling" not in body
    assert len(_charts(at)) >= 4  # the values are still shown, only the trend is refused


def test_printable_profile_has_the_series_table(dordrecht):
    from geo_app.views import profile_report

    pages = []
    original = profile_report.profile_html

    def spy(**kwargs):
        pages.append(kwargs)
        return original(**kwargs)

    import geo_app.views.profile as profile_view

    profile_view.profile_html = spy
    try:
        _run(tab="profiel", area=WIJK)
    finally:
        profile_view.profile_html = original
    series = pages[-1]["series"]
    assert series.columns[0] == "Reeks" and series.columns[-1] == "Trend"
    assert {"2016", "2024"} <= set(series.columns)
    assert "Wmo-cliënten" in set(series["Reeks"])
    html = original(**pages[-1])
    assert "Ontwikkeling over de jaren" in html and "Trendregel: Oplopend" in html


def test_compare_tab_puts_the_trends_of_the_chosen_wijken_side_by_side(dordrecht):
    at = _run(tab="vergelijken", cmp=f"{WIJK},{REFUSED},WK050502")
    assert not at.error, [e.value for e in at.error]
    assert "Ontwikkeling over de jaren (2016–2024)" in texts(at)
    assert len(_charts(at)) >= 4  # the percentile bars and one chart per theme
    table = at.dataframe[-1].value
    assert list(table.columns) == [
        "gebied",
        "thema",
        "helling",
        "verandering",
        "verandering_pct",
        "vergelijkbaar",
        "reden",
    ]
    assert len(table) == 12  # three wijken x (three themes + the stacking percentile)
    assert set(table["thema"]) >= {"Stapeling", "Wmo-cliënten"}
    refused = table[table["gebied"].str.contains(REFUSED)]
    assert not refused["vergelijkbaar"].any() and refused["helling"].isna().all()
    assert refused["reden"].str.contains("grenzen gewijzigd in 2022").all()
    kept = table[~table["gebied"].str.contains(REFUSED)]
    assert kept["vergelijkbaar"].all() and kept["helling"].notna().all()
    at.checkbox(key="trend_signal_compare").check().run()
    assert "oplopend" in at.dataframe[-1].value.columns


def test_english_profile_translates_the_trend_part(dordrecht):
    at = _run(tab="profiel", area=WIJK, lang="en")
    body = texts(at)
    assert "Change over the years (2016–2024)" in body
    assert "Wmo clients per 1,000 inhabitants rises" in body
    assert "Oplopend: de aantallen" in body  # the rule itself stays in Dutch


def test_demo_profile_shows_the_generated_series():
    st.cache_data.clear()
    st.cache_resource.clear()
    session_trends.clear()
    at = run_app(tab="profiel", area="WK999901", level="wijk")
    assert not at.error
    body = texts(at)
    assert "Ontwikkeling over de jaren" in body
    assert "Geen reeksen over de jaren" not in body
    # fictitious figures never claim CBS as their source, nor get a real national line
    assert "fictieve reeksen die Stapelkaart voor Stapeldam genereert" in body
    assert "Monitor Sociaal Domein" not in body and "--whole-country" not in body
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    # the stacking percentile is no count: only youth care says "counts only"
    assert "percentiel van de stapelscore binnen de gemeente" in body
    assert "Een percentiel binnen de eigen gemeente" in body
    assert body.count("Alleen aantallen (CBS geeft hier geen cijfer per inwoner)") == 1


def test_demo_profile_of_the_redrawn_wijk_shows_a_harmonised_trend():
    """Dijkzicht gave a buurt to Centrum in 2021; the demo's own boundaries harmonise it."""
    st.cache_data.clear()
    st.cache_resource.clear()
    session_trends.clear()
    at = run_app(tab="profiel", area="WK999905", level="wijk")
    assert not at.error, [e.value for e in at.error]
    body = texts(at)
    assert "Ontwikkeling over de jaren (2016–2024)" in body
    assert "Geharmoniseerd op de laatste grenzen" in body and "(oppervlakte;" in body
    assert "Niet geharmoniseerd" not in body and "Geen trend: grenzen gewijzigd" not in body
    assert "Wmo-cliënten per 1.000 inwoners" in body and body.count("helling") >= 3
    assert len(_charts(at)) >= 4
    # the compare tab: Dijkzicht and Centrum comparable, with a slope, beside Noorderhaven
    at = run_app(tab="vergelijken", cmp="WK999905,WK999900,WK999901", level="wijk")
    assert not at.error, [e.value for e in at.error]
    table = at.dataframe[-1].value
    assert len(table) == 3 * 5 and table["vergelijkbaar"].all()  # four themes + stapeling
    assert table["helling"].notna().all() and table["reden"].isna().all()


def test_table_tab_offers_the_series_once_they_are_loaded(dordrecht):
    before = _run(tab="tabel")
    labels = [b.proto.label for b in before.get("download_button")]
    assert "Reeksen over de jaren (CSV)" not in labels
    assert "zodra ze geladen zijn" in texts(before)
    _run(tab="profiel", area=WIJK)  # loads the series into this process
    after = _run(tab="tabel")
    labels = [b.proto.label for b in after.get("download_button")]
    assert "Reeksen over de jaren (CSV)" in labels
    assert "blad 'reeksen'" in texts(after)


ROLES = """
[access]
local_role = "jeugd"

[access.roles.jeugd]
label = "Jeugdteam"
levels = ["wijk", "gemeente"]
indicators = ["youth_care_pct", "pct_rental"]
export_levels = ["wijk"]
export_indicators = ["youth_care_pct"]
"""


def test_a_role_sees_only_the_trends_of_the_themes_it_may_see(dordrecht, monkeypatch, tmp_path):
    roles = tmp_path / "roles.toml"
    roles.write_text(ROLES, encoding="utf-8")
    monkeypatch.setenv("STAPELKAART_ROLES", str(roles))
    at = _run(tab="profiel", area=WIJK)
    assert not at.error, [e.value for e in at.error]
    body = texts(at)
    assert "Ontwikkeling over de jaren (2016–2024)" in body
    assert "Jongeren met jeugdzorg in natura" in body
    assert "Wmo-cliënten" not in body and "Cliënten met een voorziening" not in body
    assert "**Jeugdzorg in natura: Jongeren met jeugdzorg in natura**" in body
    assert "Voorzieningen sociaal domein" not in body
    assert len(_charts(at)) == 2  # the percentile bars and the one youth-care trend chart


def test_profile_follows_the_period_range_in_the_url(dordrecht):
    at = _run(tab="profiel", area=WIJK, van="2019", tot="2023")
    assert not at.error, [e.value for e in at.error]
    body = texts(at)
    assert "Ontwikkeling over de jaren (2019–2023)" in body
    assert "(2016–2024)" not in body
    assert "in 2019 naar" in body and "in 2023 (" in body  # the change over the chosen range
