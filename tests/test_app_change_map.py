"""The map layer "Verandering sinds <jaar>" and the period range in the URL (AppTest).

Dordrecht (GM0505) is ingested from the real KWB 2024 data; the fake CBS server serves
the real social-domain series of ``tests/fixtures/real`` (fixture ``dordrecht`` of
``test_app_trends``). The map itself is a component AppTest cannot look into, so the
arguments of ``mapview.build_map`` are recorded.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import streamlit as st
from test_app_pages import run_app, texts
from test_app_trends import ROLES, dordrecht, series_tables  # noqa: F401 (fixtures)

from geo_app import mapview
from geo_app.session import trends as session_trends

pytestmark = pytest.mark.real_data

OFFLINE = "http://127.0.0.1:9"
STEADY = "WK050501"  # Binnenstad: unchanged boundaries
REDRAWN = "WK050507"  # Wielwijk: boundaries changed in 2022 (CBS-indelingswijziging 3)


@pytest.fixture
def maps(monkeypatch):
    """Records the keyword arguments of every ``mapview.build_map`` call."""
    calls: list[dict] = []
    original = mapview.build_map

    def spy(geometry, values=None, **kwargs):
        calls.append({"geometry": geometry, "values": values, **kwargs})
        return original(geometry, values, **kwargs)

    monkeypatch.setattr(mapview, "build_map", spy)
    return calls


def _run(**params: str):
    return run_app(timeout=120, gm="GM0505", year="2024", level="wijk", **params)


def _change(values) -> pd.Series:
    return pd.Series(np.asarray(values, dtype=float), index=list(values.index))


def test_change_layer_of_dordrecht_wijken(dordrecht, maps):  # noqa: F811
    at = _run(layer="verandering", van="2019", thema="wmo")
    assert not at.error, [e.value for e in at.error]
    assert [s.value for s in at.subheader][:1] == ["Verandering sinds 2019"]
    call = maps[-1]
    assert call["kind"] == "change" and call["title"] == "Verandering sinds 2019"
    assert call["unit"] == "per_1000" and call["change_floor"] == 0.0
    change = _change(call["values"])
    assert change.notna().sum() >= 10  # most wijken are compared
    assert pd.isna(change[REDRAWN]) and pd.notna(change[STEADY])
    assert call["notes"][REDRAWN] == (
        "geen vergelijking: grenzen gewijzigd in 2022 (CBS-indelingswijziging 3), "
        "niet geharmoniseerd"
    )
    assert call["notes"][STEADY].endswith("in 2024") and " in 2019, " in call["notes"][STEADY]
    assert call["texts"]["missing"] == "geen vergelijking"
    assert call["attribution"] == "Bron: CBS (Monitor Sociaal Domein), Kadaster"
    assert call["stacking"] == []  # the signal is off by default
    assert "Wmo-cliënten per 1.000 inwoners, 2019 → 2024" in call["note"]
    # the side panel names the layer; the URL keeps the layer, theme and start year
    assert at.query_params["layer"] == "verandering" and at.query_params["van"] == "2019"
    assert "tot" not in at.query_params  # the last year is the default
    # its classes are fixed around 0: the sidebar's class settings do not apply
    assert at.sidebar.slider(key="w_classes").disabled
    assert at.sidebar.selectbox(key="w_scheme").disabled


def test_side_panel_gives_the_selected_areas_change_or_why_not(dordrecht, maps):  # noqa: F811
    at = _run(layer="verandering", van="2019", area=STEADY)
    change = _change(maps[-1]["values"])[STEADY]
    shown = f"{change:+.1f}".replace(".", ",")
    assert f"Verandering sinds 2019: **{shown} per 1.000**" in texts(at)
    at = _run(layer="verandering", van="2019", area=REDRAWN)
    assert "Verandering sinds 2019: geen vergelijking: grenzen gewijzigd in 2022" in texts(at)
    english = _run(layer="verandering", van="2019", lang="en")
    assert [s.value for s in english.subheader][:1] == ["Change since 2019"]
    assert maps[-1]["texts"]["missing"] == "no comparison"


def test_choosing_theme_period_and_signal_updates_map_and_url(dordrecht, maps):  # noqa: F811
    at = _run(layer="verandering")
    assert [s.value for s in at.subheader][:1] == ["Verandering sinds 2016"]
    at.selectbox(key="w_thema").set_value("jeugdzorg").run()
    assert not at.exception
    # youth care changed definition in 2017: the change starts there, and the map says so
    assert [s.value for s in at.subheader][:1] == ["Verandering sinds 2017"]
    assert "de reeks begint in 2017" in texts(at)
    assert maps[-1]["unit"] == "count" and maps[-1]["change_floor"] == 5.0
    at.select_slider(key="w_periode_2016_2024").set_range(2019, 2023).run()
    assert [s.value for s in at.subheader][:1] == ["Verandering sinds 2019"]
    assert "2019 → 2023" in maps[-1]["note"]
    assert at.query_params["thema"] == "jeugdzorg"
    assert (at.query_params["van"], at.query_params["tot"]) == ("2019", "2023")
    at.select_slider(key="w_periode_2016_2024").set_range(2021, 2021).run()
    assert "Kies twee verschillende jaren; de kaart blijft 2019–2023 tonen." in texts(at)
    assert [s.value for s in at.subheader][:1] == ["Verandering sinds 2019"]
    at.checkbox(key="trend_signal_map").check().run()
    call = maps[-1]
    assert call["stacking_label"] == "Oplopend (signaal)"
    rising = set(call["stacking"])
    assert rising or "geen enkel gebied is oplopend" in texts(at)
    # the outlined areas are those the trend rule flags (oplopend) over 2019-2023
    from geo_app.session import trends

    view = trends.peek("GM0505", "wijk", 2019, 2023)
    flags = view.trends[
        (view.trends["theme"] == "jeugdzorg") & (view.trends["trend_flag"] == True)  # noqa: E712
    ]
    assert rising == set(flags["code"])


def test_a_shared_link_reopens_the_change_layer(dordrecht, maps):  # noqa: F811
    first = _run(layer="verandering", van="2018", tot="2022", thema="voorzieningen")
    params = dict(first.query_params)
    assert {k: params[k] for k in ("layer", "van", "tot", "thema")} == {
        "layer": "verandering",
        "van": "2018",
        "tot": "2022",
        "thema": "voorzieningen",
    }
    again = run_app(timeout=120, **params)
    assert not again.info or "standaardwaarden" not in texts(again)
    assert [s.value for s in again.subheader][:1] == ["Verandering sinds 2018"]
    assert "2018 → 2022" in maps[-1]["note"]


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"van": "2023", "tot": "2019"}, "van, tot"),  # the wrong way round
        ({"van": "2011"}, "van"),  # a year without data
        ({"tot": "2031"}, "tot"),
        ({"thema": "armoede"}, "thema"),
    ],
)
def test_bad_period_or_theme_in_the_link_falls_back_with_a_dutch_notice(
    dordrecht,  # noqa: F811
    maps,
    params,
    named,
):
    at = _run(layer="verandering", **params)
    assert not at.error
    assert f"standaardwaarden gebruikt voor: {named}." in texts(at)
    assert [s.value for s in at.subheader][:1] == ["Verandering sinds 2016"]
    assert "2016 → 2024" in maps[-1]["note"]


def test_per_buurt_only_bijstand_is_offered():
    from geo_app.access.roles import LOCAL_ROLE
    from geo_app.session.trends import allowed_themes
    from geo_app.views.change_map import period_choices

    assert allowed_themes(LOCAL_ROLE, "buurt") == ["bijstand"]
    wijk = ["wmo", "jeugdzorg", "voorzieningen", "bijstand", "stapeling"]
    assert allowed_themes(LOCAL_ROLE, "wijk") == wijk
    assert period_choices("GM0505", "buurt") == (
        [2019, 2020, 2021, 2022, 2023],
        [2024, 2023, 2022, 2021, 2020],
    )
    assert period_choices("GM0505", "gemeente") == ([], [])


def test_demo_buurten_offer_only_bijstand(monkeypatch, maps):
    """The demo gemeente has buurten (Dordrecht's fixture has wijken only); CBS is down.

    Its generated series need no network: the layer offers bijstand only and draws it,
    credited as fictitious, never to CBS.
    """
    monkeypatch.setenv("STAPELKAART_CBS_URL", OFFLINE)
    monkeypatch.setenv("STAPELKAART_HTTP_RETRIES", "1")
    st.cache_data.clear()
    st.cache_resource.clear()
    session_trends.clear()
    at = run_app(timeout=120, level="buurt", layer="verandering", thema="wmo")
    assert not at.error, [e.value for e in at.error]
    body = texts(at)
    assert "standaardwaarden gebruikt voor: thema." in body
    assert "alleen de bijstand" in body
    assert at.selectbox(key="w_thema").options == ["Bijstand"]
    drawn = [c for c in maps if c.get("kind") == "change"]
    assert drawn, "the demo's generated series draw a change map"
    assert drawn[-1]["unit"] == "percent"  # bijstand
    assert drawn[-1]["attribution"] == "Fictieve voorbeelddata (Stapelkaart)"
    assert "Geen reeksen over de jaren" not in body


@pytest.fixture
def dordrecht_without_series(cbs_server, cbs_gpkg, monkeypatch):
    """Dordrecht's KWB 2024 in the store, no series stored, CBS and PDOK down."""
    import cbs_ingest

    cbs_ingest.load(2024, ["GM0505"], geometry_file=cbs_gpkg)
    monkeypatch.setenv("STAPELKAART_CBS_URL", OFFLINE)
    monkeypatch.setenv("STAPELKAART_PDOK_URL", OFFLINE)
    monkeypatch.setenv("STAPELKAART_HTTP_RETRIES", "1")
    st.cache_data.clear()
    st.cache_resource.clear()
    session_trends.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def test_without_series_the_layer_says_why_in_dutch_and_draws_no_map(
    dordrecht_without_series, maps
):
    at = _run(layer="verandering", van="2019")
    assert not at.error, [e.value for e in at.error]
    assert "Geen reeksen over de jaren voor GM0505 (wijk)" in texts(at)
    assert not [c for c in maps if c.get("kind") == "change"]
    assert at.query_params["layer"] == "verandering"  # the choice stays in the link


def test_a_role_gets_only_the_change_layer_of_its_themes(
    dordrecht,  # noqa: F811
    maps,
    monkeypatch,
    tmp_path,
):
    roles = tmp_path / "roles.toml"
    roles.write_text(ROLES, encoding="utf-8")
    monkeypatch.setenv("STAPELKAART_ROLES", str(roles))
    at = _run(layer="verandering", thema="wmo")
    assert not at.error, [e.value for e in at.error]
    assert "standaardwaarden gebruikt voor: thema." in texts(at)
    assert at.selectbox(key="w_thema").options == ["Jeugdzorg in natura"]
    assert maps[-1]["unit"] == "count"  # youth care, the only theme this role may see
    assert all("Wmo" not in str(c.get("note")) for c in maps)
