from __future__ import annotations

import io

import numpy as np
import openpyxl
import pandas as pd
import pytest

from layers.escape import escape_frame, escape_html, escape_markdown
from layers.upload import UploadResult, validate_upload

DEMO_CODES = [f"BU9999000{i}" for i in range(6)]


def xlsx(rows, *, sheets=1) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Gegevens"
    for row in rows:
        sheet.append(row)
    for i in range(1, sheets):
        book.create_sheet(f"Blad{i + 1}").append(["iets", "anders"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def check(data: bytes, filename="upload.csv", **options) -> UploadResult:
    options.setdefault("level", "buurt")
    options.setdefault("gemeentecode", "GM9999")
    return validate_upload(data, filename, **options)


def kinds(result: UploadResult, severity="error") -> set[str]:
    return {i.kind for i in result.issues if i.severity == severity}


def test_dutch_excel_csv_with_semicolons_decimal_commas_and_windows_1252():
    text = (
        "Buurtcode;Buurtnaam;Wmo-cliënten;Inwoners\r\n"
        "BU99990000;Lindenhof;12,0;1.250\r\n"
        "BU99990001;Molenbuurt;3;800\r\n"
    )
    result = check(
        text.encode("cp1252"), known_codes=DEMO_CODES, pairs={"Wmo-cliënten": "Inwoners"}
    )
    assert result.ok, result.issues
    assert result.details["encoding"] == "cp1252"
    assert result.details["delimiter"] == ";"
    assert result.frame.columns.tolist() == ["code", "Wmo-cliënten", "Inwoners"]
    assert result.frame["Wmo-cliënten"].tolist() == [12.0, 3.0]
    assert result.frame["Inwoners"].tolist() == [1250.0, 800.0]
    assert result.pairs == {"Wmo-cliënten": "Inwoners"}
    assert "thousands" in kinds(result, "warning")


def test_comma_csv_with_utf8_bom_and_decimal_points():
    data = "\ufeffcode,rate,count\nBU99990000,12.5,40\nBU99990001,0.5,12\n".encode()
    result = check(data)
    assert result.ok
    assert result.details["delimiter"] == ","
    assert result.frame["rate"].tolist() == [12.5, 0.5]
    assert "fractional" in kinds(result, "warning")


def test_tab_separated_and_lower_case_codes_with_spaces_are_accepted():
    result = check(b"code\tn\n bu99990000 \t15\nBU99990001\t20\n")
    assert result.ok
    assert result.frame["code"].tolist() == ["BU99990000", "BU99990001"]


def test_excel_separator_hint_line_is_used_and_skipped():
    result = check(b"sep=;\r\ncode;n\r\nBU99990000;12,5\r\n")
    assert result.ok
    assert result.details["delimiter"] == ";"
    assert result.frame["n"].tolist() == [12.5]
    bad = check(b"sep=;\ncode;n\nBU99990000;-1\n")
    assert bad.errors[0].row == 3  # rows are counted as the file shows them


def test_amsterdam_alphanumeric_codes_are_valid():
    data = b"buurtcode;n\nBU0363AA01;40\nBU0363AB02;35\n"
    assert check(data, gemeentecode="GM0363").ok
    wijk = validate_upload(
        b"wijkcode;n\nWK0363AA;40\n", "w.csv", level="wijk", gemeentecode="GM0363"
    )
    assert wijk.ok


def test_xlsx_first_sheet_is_read_and_more_sheets_give_a_warning():
    data = xlsx(
        [["code", "buurtnaam", "n"], ["BU99990000", "Linden", 14], ["BU99990001", "Molen", 7.0]],
        sheets=2,
    )
    result = check(data, "cijfers.xlsx")
    assert result.ok
    assert result.details["sheet"] == "Gegevens"
    assert "sheets" in kinds(result, "warning")
    assert result.frame["n"].tolist() == [14.0, 7.0]
    other = check(data, "cijfers.xlsx", sheet="Blad2")
    assert not other.ok  # that sheet has no codes


def test_cells_below_threshold_are_marked_for_suppression():
    result = check(b"code;a;b\nBU99990000;3;40\nBU99990001;0;9\nBU99990002;25;\n")
    assert result.ok
    below = result.below_threshold.sort_values(["column", "code"])
    assert below[["code", "column"]].values.tolist() == [
        ["BU99990000", "a"],
        ["BU99990001", "a"],
        ["BU99990001", "b"],
    ]
    assert kinds(result, "warning") == {"below_threshold"}
    assert np.isnan(result.frame.loc[2, "b"])  # an empty cell is missing, not zero
    assert check(b"code;a\nBU99990000;3\n", threshold=2).below_threshold.empty


def test_total_row_is_skipped_with_a_warning():
    result = check(b"code;n\nBU99990000;40\nTotaal;40\n")
    assert result.ok
    assert result.frame["code"].tolist() == ["BU99990000"]
    assert "total_row" in kinds(result, "warning")


def test_issue_table_is_dutch_and_has_rows_and_columns():
    result = check(b"code;n\nBU99990000;-4\nBU99990001;veel\n")
    table = result.issues_frame()
    assert table.columns.tolist() == ["Ernst", "Melding", "Rij", "Kolom"]
    errors = table.loc[table["Ernst"] == "fout"]
    assert errors["Rij"].tolist() == ["2", "3"]
    assert table.loc[table["Ernst"] == "info", "Rij"].tolist() == [""]
    assert errors["Kolom"].tolist() == ["n", "n"]
    assert "negatief" in errors["Melding"].iloc[0]


def test_many_bad_rows_are_summarised_not_listed_one_by_one():
    rows = "".join(f"BU999900{i:02d};-1\n" for i in range(40))
    result = check(("code;n\n" + rows).encode())
    negative = [i for i in result.issues if i.kind == "negative"]
    assert len(negative) == 11
    assert "nog 30" in negative[-1].message


def test_bad_level_option_is_a_programming_error():
    with pytest.raises(ValueError, match="level"):
        validate_upload(b"code;n\n", "x.csv", level="provincie")


def test_input_bytes_are_not_modified_and_result_is_reproducible():
    data = bytearray(b"code;n\nBU99990000;40\n")
    first = check(bytes(data))
    second = check(bytes(data))
    assert data == bytearray(b"code;n\nBU99990000;40\n")
    pd.testing.assert_frame_equal(first.frame, second.frame)


# -- escaping ------------------------------------------------------------------

NASTY = "<img src=x onerror=alert(1)>"


def test_escape_html_turns_markup_into_text():
    assert escape_html(NASTY) == "&lt;img src=x onerror=alert(1)&gt;"
    assert escape_html("\"quoted\" & 'single'") == "&quot;quoted&quot; &amp; &#x27;single&#x27;"
    assert escape_html(None) == ""
    assert escape_html(float("nan")) == ""
    assert escape_html(12) == "12"


def test_escape_markdown_defuses_images_links_and_html():
    out = escape_markdown("![x](http://evil.example/p.png) [klik](javascript:alert(1)) " + NASTY)
    assert "![" not in out and "](" not in out and "<img" not in out
    assert "\n" not in escape_markdown("regel\nregel")


def test_escape_frame_copies_and_escapes_text_columns_only(demo_frames):
    frame = demo_frames["buurt"].head(3).copy()
    frame.loc[frame.index[0], "name"] = NASTY
    before = frame.copy()
    out = escape_frame(frame)
    assert out.loc[frame.index[0], "name"] == escape_html(NASTY)
    assert frame.loc[frame.index[0], "name"] == NASTY  # input untouched
    pd.testing.assert_series_equal(out["population"], before["population"])
    assert out.geometry.equals(before.geometry)
    with pytest.raises(ValueError, match="nope"):
        escape_frame(frame, ["nope"])


def test_escaped_name_in_a_folium_tooltip_is_not_markup(demo_frames):
    import folium

    frame = demo_frames["buurt"].head(2)[["code", "name", "geometry"]].to_crs(4326)
    frame.loc[frame.index[0], "name"] = NASTY
    fmap = folium.Map(location=[52.5, 5.3], zoom_start=12)
    folium.GeoJson(escape_frame(frame), tooltip=folium.GeoJsonTooltip(["name"])).add_to(fmap)
    page = fmap.get_root().render()
    # The GeoJSON is embedded as JSON, which writes "&" as \u0026.
    assert "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;" in page
    assert "<img src=x" not in page
