"""Bad inputs: each ends in a clear Dutch message, an error flag and nothing usable.

``nothing stored`` at this level means: ``ok`` is False, the frame is empty,
no pairs and no threshold cells are returned, so there is nothing a caller
could join. (The app keeps its previous state: see test_upload_view.py.)
"""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from layers.upload import CODE_PATTERNS, validate_upload

GOOD_CODES = [f"BU9999000{i}" for i in range(5)]


def _xlsx(rows, **extra) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    data = buffer.getvalue()
    if extra:
        src = zipfile.ZipFile(io.BytesIO(data))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                dst.writestr(info, src.read(info))
            for name, payload in extra.items():
                dst.writestr(name, payload)
        data = out.getvalue()
    return data


def _zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * 30_000_000)
    return out.getvalue()


def _person_rows() -> bytes:
    rows = ["code;wmo"] + [f"BU9999000{i % 3};1" for i in range(30)]
    return "\n".join(rows).encode()


def _bsn_rows() -> bytes:
    # Numbers that pass the elfproef, in a column with an innocent name.
    bsns = ["111222333", "123456782", "999999990", "100000009", "555555553"]
    rows = ["code;nummer"] + [f"BU9999000{i};{b}" for i, b in enumerate(bsns)]
    return "\n".join(rows).encode()


def _date_rows() -> bytes:
    import datetime as dt

    return _xlsx(
        [["code", "peildatum"]] + [[f"BU9999000{i}", dt.datetime(1980, 1, i + 1)] for i in range(4)]
    )


#: (id, bytes, filename, options, expected error kind, a word the Dutch message contains)
CASES = [
    ("empty", b"", "a.csv", {}, "empty", "leeg"),
    ("only-blank-lines", b"\n \r\n\n", "a.csv", {}, "empty", "leeg"),
    ("header-only", b"code;n\n", "a.csv", {}, "no_rows", "geen regels"),
    ("huge", b"code;n\n" + b"BU99990000;1\n" * 500_000, "a.csv", {}, "too_large", "te groot"),
    (
        "too-many-rows",
        ("code;n\n" + "BU99990000;1\n" * 300).encode(),
        "a.csv",
        {"max_rows": 100},
        "too_many_rows",
        "meer dan 100",
    ),
    (
        "too-many-columns",
        (
            ";".join(["code"] + [f"c{i}" for i in range(150)])
            + "\n"
            + ";".join(["BU99990000"] + ["1"] * 150)
        ).encode(),
        "a.csv",
        {},
        "too_many_columns",
        "kolommen",
    ),
    ("binary-garbage", bytes(range(256)) * 4, "a.csv", {}, "binary", "binaire"),
    ("utf16", "code;n\nBU99990000;12\n".encode("utf-16"), "a.csv", {}, "encoding", "UTF-16"),
    (
        "bad-encoding",
        b"code;n\nBU99990000;12\x81\x8d\x90\n",
        "a.csv",
        {},
        "encoding",
        "tekencodering",
    ),
    (
        "unclosed-quote",
        b'code;n\n"BU99990000;12\nBU99990001;3\n',
        "a.csv",
        {},
        "csv_syntax",
        "ongeldig",
    ),
    (
        "giant-cell",
        b"code;n\nBU99990000;" + b'"' + b"9" * 200_000 + b'"\n',
        "a.csv",
        {},
        "csv_syntax",
        "ongeldig",
    ),
    ("no-delimiter", b"hallo wereld\nnog een regel\n", "a.csv", {}, "delimiter", "scheidingsteken"),
    ("header-is-data", b"BU99990000;5\nBU99990001;6\n", "a.csv", {}, "no_header", "kolomnamen"),
    ("duplicate-header", b"code;n;N\nBU99990000;5;6\n", "a.csv", {}, "duplicate_header", "dubbel"),
    ("empty-header", b"code;;n\nBU99990000;5;6\n", "a.csv", {}, "empty_header", "geen naam"),
    (
        "control-char-header",
        b"code;n\x07x\nBU99990000;5\n",
        "a.csv",
        {},
        "bad_header",
        "onzichtbare",
    ),
    ("no-code-column", b"a;b\n1;2\n3;4\n", "a.csv", {}, "no_code_column", "codes"),
    (
        "no-value-column",
        b"code;buurtnaam\nBU99990000;Linden\n",
        "a.csv",
        {},
        "no_values",
        "aantallen",
    ),
    ("extra-values", b"code;n\nBU99990000;5;6\n", "a.csv", {}, "extra_values", "meer waarden"),
    ("wijk-code-in-buurt-upload", b"code;n\nWK999900;50\n", "a.csv", {}, "bad_code", "wijkcode"),
    ("malformed-code", b"code;n\nBU123;50\n", "a.csv", {}, "bad_code", "geen geldige"),
    (
        "code-of-other-gemeente",
        b"code;n\nBU03440000;50\n",
        "a.csv",
        {},
        "other_gemeente",
        "hoort niet",
    ),
    (
        "unknown-code",
        b"code;n\nBU99990099;50\n",
        "a.csv",
        {"known_codes": GOOD_CODES},
        "unknown_code",
        "Onbekende code",
    ),
    ("missing-code", b"code;n\n;50\nBU99990000;20\n", "a.csv", {}, "missing_code", "zonder code"),
    ("negative", b"code;n\nBU99990000;-5\n", "a.csv", {}, "negative", "negatief"),
    ("negative-decimal-comma", b"code;n\nBU99990000;-0,5\n", "a.csv", {}, "negative", "negatief"),
    ("not-numeric", b"code;n\nBU99990000;veel\n", "a.csv", {}, "not_numeric", "geen getal"),
    ("nan-text", b"code;n\nBU99990000;NaN\n", "a.csv", {}, "not_numeric", "geen getal"),
    ("formula-equals", b"code;n\nBU99990000;=1+2\n", "a.csv", {}, "not_numeric", "formule"),
    (
        "formula-hyperlink",
        b'code;n\nBU99990000;"=HYPERLINK(""http://x"",""klik"")"\n',
        "a.csv",
        {},
        "not_numeric",
        "formule",
    ),
    ("formula-plus", b"code;n\nBU99990000;+1+1\n", "a.csv", {}, "not_numeric", "formule"),
    ("formula-at", b"code;n\nBU99990000;@SUM(A1)\n", "a.csv", {}, "not_numeric", "formule"),
    (
        "formula-dde",
        b"code;n\nBU99990000;-1+cmd|' /C calc'!A0\n",
        "a.csv",
        {},
        "not_numeric",
        "formule",
    ),
    (
        "formula-in-xlsx-text",
        _xlsx([["code", "n"], ["BU99990000", "=cmd|' /C calc'!A0"]]),
        "a.xlsx",
        {},
        "not_numeric",
        "formule",
    ),
    ("formula-as-code", b'code;n\n=HYPERLINK("x");5\n', "a.csv", {}, "bad_code", "geen geldige"),
    (
        "script-in-value",
        b"code;n\nBU99990000;<script>alert(1)</script>\n",
        "a.csv",
        {},
        "not_numeric",
        "geen getal",
    ),
    (
        "img-in-code",
        b"code;n\n<img src=x onerror=alert(1)>;5\n",
        "a.csv",
        {},
        "bad_code",
        "geen geldige",
    ),
    (
        "person-bsn-column",
        b"code;bsn;wmo\nBU99990000;123456782;1\n",
        "a.csv",
        {},
        "person_level",
        "persoonsgegevens",
    ),
    (
        "person-birthdate",
        b"buurtcode;geboortedatum;n\nBU99990000;01-01-1980;1\n",
        "a.csv",
        {},
        "person_level",
        "persoonsgegevens",
    ),
    (
        "person-name",
        b"code;Naam;n\nBU99990000;Jan Jansen;1\n",
        "a.csv",
        {},
        "person_level",
        "persoonsgegevens",
    ),
    (
        "person-address",
        b"code;Adres;Postcode;n\nBU99990000;Dorpsstraat 1;1234 AB;1\n",
        "a.csv",
        {},
        "person_level",
        "persoonsgegevens",
    ),
    ("person-many-rows-per-code", _person_rows(), "a.csv", {}, "person_level", "per persoon"),
    ("person-bsn-values", _bsn_rows(), "a.csv", {}, "person_level", "BSN"),
    ("person-dates-in-xlsx", _date_rows(), "a.xlsx", {}, "person_level", "datums"),
    (
        "duplicate-code",
        b"code;n\nBU99990000;20\nBU99990000;30\n",
        "a.csv",
        {},
        "duplicate_code",
        "2 keer",
    ),
    (
        "numerator-above-denominator",
        b"code;wmo;inw\nBU99990000;120;100\n",
        "a.csv",
        {"pairs": {"wmo": "inw"}},
        "numerator_above_denominator",
        "groter dan",
    ),
    (
        "pair-column-absent",
        b"code;wmo\nBU99990000;12\n",
        "a.csv",
        {"pairs": {"wmo": "inw"}},
        "pair_column",
        "niet in het bestand",
    ),
    (
        "xlsm-extension",
        _xlsx([["code", "n"], ["BU99990000", 5]]),
        "a.xlsm",
        {},
        "macro_file",
        "macro",
    ),
    (
        "xlsx-with-vba-project",
        _xlsx([["code", "n"], ["BU99990000", 5]], **{"xl/vbaProject.bin": b"\x00" * 64}),
        "a.xlsx",
        {},
        "macro_file",
        "macro",
    ),
    (
        "old-xls",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512,
        "a.xls",
        {},
        "old_excel",
        ".xls",
    ),
    ("csv-named-xlsx", b"code;n\nBU99990000;5\n", "a.xlsx", {}, "not_xlsx", "geen Excel"),
    ("corrupt-zip", b"PK\x03\x04" + b"\x00" * 100, "a.xlsx", {}, "xlsx_broken", "beschadigd"),
    ("zip-bomb", _zip_bomb(), "a.xlsx", {}, "xlsx_bomb", "groot"),
    ("xlsx-named-csv", _xlsx([["code", "n"]]), "a.csv", {}, "not_text", "Excel"),
    ("unsupported-type", b"{}", "a.json", {}, "file_type", ".csv"),
    ("executable", b"MZ\x90\x00" + b"\0" * 60, "a.exe", {}, "file_type", ".csv"),
    ("empty-xlsx", _xlsx([]), "a.xlsx", {}, "no_rows", "geen regels"),
]


@pytest.mark.parametrize(
    ("data", "filename", "options", "kind", "word"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_bad_upload_is_refused_with_a_clear_message_and_nothing_usable(
    data, filename, options, kind, word
):
    options = {"level": "buurt", "gemeentecode": "GM9999", **options}
    result = validate_upload(data, filename, **options)
    assert not result.ok
    errors = [i for i in result.errors if i.kind == kind]
    assert errors, [(i.kind, i.message) for i in result.errors]
    assert any(word.lower() in i.message.lower() for i in errors), [i.message for i in errors]
    assert all(i.message and i.message_en for i in result.issues)
    # Nothing usable comes out of a refused upload.
    assert result.frame.empty and result.frame.columns.tolist() == ["code"]
    assert result.pairs == {} and result.below_threshold.empty


def test_case_ids_are_unique_and_many():
    ids = [case[0] for case in CASES]
    assert len(ids) == len(set(ids)) >= 50


def test_huge_input_is_refused_before_it_is_parsed():
    data = b"code;n\n" + b"BU99990000;1\n" * 2_000_000  # 26 MB
    result = validate_upload(data, "a.csv", level="buurt")
    assert result.errors[0].kind == "too_large"
    assert result.details == {"size_bytes": len(data)}  # it never got as far as reading


def _with_cached_value(data: bytes, formula: bytes, value: bytes) -> bytes:
    """Rewrite the sheet as Excel would save it: the formula with its computed value."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            payload = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                old = b"<f>" + formula + b"</f><v />"
                assert old in payload
                payload = payload.replace(old, b"<f>" + formula + b"</f><v>" + value + b"</v>")
            dst.writestr(info, payload)
    return out.getvalue()


def test_xlsx_formula_uses_its_stored_result_and_without_one_is_refused():
    data = _xlsx([["code", "n"], ["BU99990000", 12], ["BU99990001", "=B2*2"]])
    result = validate_upload(data, "a.xlsx", level="buurt")
    assert not result.ok and result.errors[0].kind == "not_numeric"
    cached = validate_upload(_with_cached_value(data, b"B2*2", b"24"), "a.xlsx", level="buurt")
    assert cached.ok
    assert cached.frame["n"].tolist() == [12.0, 24.0]


_CELLS = st.one_of(
    st.sampled_from(
        [
            "BU99990000",
            "BU99990001",
            "bu99990002",
            "WK999900",
            "BU0363AA01",
            "",
            "=1+1",
            "-3",
            "12,5",
            "1.234",
            "0",
            "7",
            "NaN",
            "Totaal",
            '"',
            "<b>x</b>",
            "bsn",
            "naam",
            "code",
            "wmo",
            "\t",
            "\u00a0",
            "\ufeff",
        ]
    ),
    st.text(max_size=8),
)


@st.composite
def _csv_like(draw) -> bytes:
    delimiter = draw(st.sampled_from([";", ",", "\t", "|"]))
    width = draw(st.integers(1, 4))
    rows = draw(st.lists(st.lists(_CELLS, min_size=width, max_size=width), min_size=0, max_size=6))
    text = "\n".join(delimiter.join(row) for row in rows)
    encoding = draw(st.sampled_from(["utf-8", "cp1252", "utf-16"]))
    return text.encode(encoding, errors="replace")


@settings(max_examples=300, deadline=None)
@given(
    data=st.one_of(_csv_like(), st.binary(max_size=400)),
    filename=st.sampled_from(["a.csv", "a.txt", "a.xlsx", "a.xls", "a.tsv", "a"]),
    level=st.sampled_from(["buurt", "wijk"]),
)
def test_any_input_gives_a_result_never_an_exception(data, filename, level):
    result = validate_upload(data, filename, level=level, gemeentecode="GM9999")
    assert result.ok == (not result.errors)
    assert all(
        i.message and i.message_en and i.severity in {"error", "warning", "info"}
        for i in result.issues
    )
    if result.ok:
        pattern = CODE_PATTERNS[level]
        assert result.frame["code"].map(lambda c: bool(pattern.match(c))).all()
        assert not result.frame["code"].duplicated().any()
        values = result.frame.drop(columns="code")
        assert all(str(t) == "float64" for t in values.dtypes)
        assert not (values < 0).any().any()
    else:
        assert result.frame.empty
