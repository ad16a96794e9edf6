from __future__ import annotations

from streamlit.testing.v1 import AppTest

GOOD = b"buurtcode;wmo;inwoners\nBU99990000;40;1200\nBU99990001;4;800\n"
BAD = b"buurtcode;wmo\nBU99990000;-3\nBU99990077;<img src=x onerror=alert(1)>\n"
NASTY_NAME = "<img src=x onerror=alert(1)>.csv"


def _app():
    import streamlit as st

    from geo_app.views.upload_view import render_upload

    confirmed = render_upload(
        level="buurt", gemeentecode="GM9999", known_codes=[f"BU9999000{i}" for i in range(5)]
    )
    st.text("bevestigd: " + ("nee" if confirmed is None else ",".join(confirmed.frame["code"])))


def _start() -> AppTest:
    at = AppTest.from_function(_app, default_timeout=30)
    return at.run()


def _upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader[0].set_value((name, data, "text/csv"))
    return at.run()


def _texts(at: AppTest) -> str:
    parts = [
        e.value
        for e in (
            *at.markdown,
            *at.text,
            *at.caption,
            *at.success,
            *at.error,
            *at.info,
            *at.warning,
        )
    ]
    return "\n".join(str(p) for p in parts)


def test_good_file_shows_preview_and_needs_confirmation():
    at = _upload(_start(), "wmo.csv", GOOD)
    assert not at.exception
    assert "gecontroleerd: 2 gebieden" in at.success[0].value
    preview = at.dataframe[0].value
    assert preview.columns.tolist() == ["buurtcode", "wmo", "inwoners"]
    # The cell below the threshold is listed.
    below = at.dataframe[2].value
    assert below[["Code", "Kolom"]].values.tolist() == [["BU99990001", "wmo"]]
    assert at.text[-1].value == "bevestigd: nee"
    assert "upload_confirmed" not in at.session_state
    at.button(key="upload_confirm").click()
    at.run()
    assert at.session_state["upload_confirmed"].frame["code"].tolist() == [
        "BU99990000",
        "BU99990001",
    ]
    assert at.text[-1].value == "bevestigd: BU99990000,BU99990001"
    assert "In gebruik: 2 gebieden" in _texts(at)
    assert not [b for b in at.button if b.key == "upload_confirm"]  # no second confirmation


def test_failed_upload_leaves_the_confirmed_data_untouched():
    at = _upload(_start(), "wmo.csv", GOOD)
    at.button(key="upload_confirm").click()
    at.run()
    before = at.session_state["upload_confirmed"]
    at = _upload(at, NASTY_NAME, BAD)
    assert not at.exception
    assert "niets opgeslagen" in at.error[0].value
    assert not [b for b in at.button if b.key == "upload_confirm"]
    assert at.session_state["upload_confirmed"] is before
    assert at.text[-1].value == "bevestigd: BU99990000,BU99990001"
    issues = at.dataframe[-1].value
    assert {"fout"} <= set(issues["Ernst"])
    assert any("negatief" in m for m in issues["Melding"])
    assert any("Onbekende code" in m for m in issues["Melding"])


def test_file_content_and_name_never_reach_markdown():
    at = _upload(_start(), NASTY_NAME, BAD)
    assert "<img" not in _texts(at)
    # The raw text is shown, as text, inside the preview table only.
    assert "<img src=x onerror=alert(1)>" in at.dataframe[0].value.to_string()


def test_removing_the_confirmed_upload():
    at = _upload(_start(), "wmo.csv", GOOD)
    at.button(key="upload_confirm").click()
    at.run()
    at.button(key="upload_remove").click()
    at.run()
    assert "upload_confirmed" not in at.session_state
    assert at.text[-1].value == "bevestigd: nee"


def test_numerator_and_denominator_can_be_chosen_and_are_checked():
    data = b"buurtcode;wmo;inwoners\nBU99990000;40;1200\nBU99990001;900;800\n"
    at = _upload(_start(), "wmo.csv", data)
    assert at.success  # without a pair nothing is wrong
    wmo = next(s for s in at.selectbox if s.label == "wmo")
    assert wmo.options == ["(geen noemer)", "inwoners"]
    wmo.select("inwoners")
    at.run()
    assert "niets opgeslagen" in at.error[0].value
    issues = at.dataframe[-1].value
    assert any("groter dan 'inwoners'" in m for m in issues["Melding"])
    assert not [b for b in at.button if b.key == "upload_confirm"]


def test_column_names_in_widget_labels_are_escaped():
    data = b"buurtcode;![x](http://evil.example/p.png);n\nBU99990000;40;1200\n"
    at = _upload(_start(), "wmo.csv", data)
    labels = [s.label for s in at.selectbox]
    assert labels and all("](" not in label for label in labels)


def test_a_workbook_with_several_sheets_asks_which_one():
    import io

    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Toelichting"
    book.active.append(["Dit blad bevat uitleg"])
    data_sheet = book.create_sheet("Cijfers")
    for row in (["buurtcode", "wmo"], ["BU99990000", 40], ["BU99990001", 25]):
        data_sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    at = _start()
    at.file_uploader[0].set_value(("cijfers.xlsx", buffer.getvalue(), "application/vnd.ms-excel"))
    at.run()
    assert at.error  # the first sheet holds no figures
    sheet = next(s for s in at.selectbox if s.label == "Werkblad")
    assert sheet.options == ["Toelichting", "Cijfers"]
    sheet.select("Cijfers")
    at.run()
    assert "gecontroleerd: 2 gebieden" in at.success[0].value
