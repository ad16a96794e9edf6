"""The upload piece with a file that names its areas: matches, near misses to choose, unmatched."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

SWING = (
    b'"Buurten";"wmo|2024";"inwoners|2024"\n'
    b'"Buurt Lindenhof";12;1200\n'
    b'"Buurt Molenbuurt e.o.";30;900\n'
    b'"Buurt Pr.Bernhardpl e.o.";22;1500\n'
    b'"Buurt <img src=x onerror=alert(1)>";40;700\n'
    b'"Buurten totaal";104;4300\n'
)


def _app():
    import streamlit as st

    from geo_app.views.upload_view import render_upload

    areas = {
        "BU99990000": "Lindenhof",
        "BU99990001": "Molenbuurt en omgeving",
        "BU99990002": "Prins Bernhardplein en omgeving",
        "BU99990003": "Zuilen-Noord",
    }
    confirmed = render_upload(
        level="buurt", gemeentecode="GM9999", known_codes=list(areas), area_names=areas
    )
    st.text("bevestigd: " + ("nee" if confirmed is None else ",".join(confirmed.frame["code"])))


def _uploaded() -> AppTest:
    at = AppTest.from_function(_app, default_timeout=30).run()
    at.file_uploader[0].set_value(("utrecht_in_cijfers.csv", SWING, "text/csv"))
    return at.run()


def _table(at: AppTest, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_matches_near_misses_and_unmatched_are_shown_and_only_matches_are_used():
    at = _uploaded()
    assert not at.exception
    matched = _table(at, "Naam in het bestand")
    assert matched.values.tolist() == [
        ["Buurt Lindenhof", "Lindenhof", "BU99990000", "na gelijktrekken"],
        ["Buurt Molenbuurt e.o.", "Molenbuurt en omgeving", "BU99990001", "na gelijktrekken"],
    ]
    assert matched["Code"].tolist() == ["BU99990000", "BU99990001"]
    assert any("2 van de 4 namen gekoppeld" in c.value for c in at.caption)
    unmatched = [
        d.value for d in at.dataframe if d.value.columns.tolist() == ["Naam in het bestand"]
    ]
    assert unmatched[0].iloc[:, 0].tolist() == ["Buurt <img src=x onerror=alert(1)>"]
    near = next(s for s in at.selectbox if "Bernhardpl" in s.label)
    assert near.value == "(niet gebruiken)"
    assert "gecontroleerd: 2 gebieden" in at.success[0].value
    at.button(key="upload_confirm").click()
    at.run()
    assert at.text[-1].value == "bevestigd: BU99990000,BU99990001"


def test_a_chosen_near_miss_is_joined_only_after_confirmation():
    at = _uploaded()
    near = next(s for s in at.selectbox if "Bernhardpl" in s.label)
    assert "Prins Bernhardplein en omgeving (BU99990002" in near.options[1]
    near.set_value("BU99990002")
    at.run()
    assert not at.exception
    assert "gecontroleerd: 3 gebieden" in at.success[0].value
    assert "door u gekozen" in _table(at, "Koppeling")["Koppeling"].tolist()
    assert at.text[-1].value == "bevestigd: nee"
    at.button(key="upload_confirm").click()
    at.run()
    assert at.text[-1].value == "bevestigd: BU99990000,BU99990001,BU99990002"


def test_names_from_the_file_never_reach_markdown():
    at = _uploaded()
    texts = [e.value for e in (*at.markdown, *at.caption, *at.success, *at.warning, *at.info)]
    assert not any("<img" in str(t) for t in texts)
    assert all("<img" not in s.label for s in at.selectbox)
