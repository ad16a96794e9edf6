"""Uploads that name areas instead of coding them, and the two 'in Cijfers' (Swing) layouts."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from layers.upload import validate_upload
from tests.test_area_names import utrecht_buurt_names
from tests.test_upload import xlsx

AREAS = {
    "BU99990000": "Lindenhof",
    "BU99990001": "Molenbuurt en omgeving",
    "BU99990002": "Prins Bernhardplein en omgeving",
    "BU99990003": "Zuilen-Noord",
}
HEADER = "wmo|2024"

WIDE = (
    f'"Buurten";"{HEADER}";"{HEADER}";"inwoners|2024"\n'
    '"Buurt Lindenhof";12;".";1200\n'
    '"Buurt Molenbuurt e.o.";30;14;900\n'
    '"Buurt Pr.Bernhardpl e.o.";".";22;1500\n'
    '"Buurt Nergenshuizen";40;40;700\n'
    '"Buurten totaal";82;76;4300\n'
).encode()

LONG = (
    "Indicator;Eenheid;Periode;gebied;Waarde\n"
    "Wmo-cliënten;aantal;2024;Lindenhof;12\n"
    "Wmo-cliënten;aantal;2024;Molenbuurt e.o.;30\n"
    "Inwoners;aantal;2024;Lindenhof;1.200\n"
    "Inwoners;aantal;2024;Molenbuurt e.o.;900\n"
    "Wmo-cliënten;aantal;2023;Lindenhof;.\n"
    "Wmo-cliënten;aantal;2023;Zuilen-noord;11\n"
    "Inwoners;aantal;2024;Zuilen-noord;650\n"
    "Wmo-cliënten;aantal;2024;Zuilen-noord;9\n"
).encode("cp1252")


def check(data: bytes, filename: str = "export.csv", **options):
    options.setdefault("level", "buurt")
    options.setdefault("gemeentecode", "GM9999")
    options.setdefault("area_names", AREAS)
    return validate_upload(data, filename, **options)


def kinds(result, severity: str = "error") -> set[str]:
    return {i.kind for i in result.issues if i.severity == severity}


def test_wide_layout_numbers_repeated_headers_and_reads_dots_as_missing():
    result = check(WIDE)
    assert result.ok, result.issues
    assert result.frame.columns.tolist() == [
        "code",
        "wmo 2024 (1)",
        "wmo 2024 (2)",
        "inwoners 2024",
    ]
    # Only exact/normalised names are used until the person confirms a suggestion.
    assert result.frame["code"].tolist() == ["BU99990000", "BU99990001"]
    assert result.frame["wmo 2024 (2)"].isna().tolist() == [True, False]
    assert result.names.counts() == {
        "exact": 0,
        "normalised": 2,
        "accepted": 0,
        "suggested": 1,
        "unmatched": 1,
    }
    assert result.names.suggestions["Buurt Pr.Bernhardpl e.o."][0].code == "BU99990002"
    assert result.names.unmatched == ("Buurt Nergenshuizen",)
    warnings = kinds(result, "warning")
    assert {"swing_repeated_header", "name_suggestion", "name_unmatched", "total_row"} <= warnings
    assert {"swing", "swing_secret", "names_matched"} <= kinds(result, "info")


def test_confirmed_suggestion_joins_the_row():
    result = check(WIDE, accepted_names={"Buurt Pr.Bernhardpl e.o.": "BU99990002"})
    assert result.ok
    assert result.frame["code"].tolist() == ["BU99990000", "BU99990001", "BU99990002"]
    assert result.frame.loc[2, "inwoners 2024"] == 1500.0
    assert result.names.how["Buurt Pr.Bernhardpl e.o."] == "accepted"


def test_wide_layout_with_a_row_of_sub_headers():
    data = (
        b"Wijken;bijstand|2024;bijstand|2024\n"
        b";jonger dan 27;27 jaar en ouder\n"
        b"Lindenhof;.;40\n"
        b"Molenbuurt e.o.;12;55\n"
    )
    result = check(data)
    assert result.ok, result.issues
    assert result.frame.columns.tolist()[1:] == [
        "bijstand 2024 jonger dan 27",
        "bijstand 2024 27 jaar en ouder",
    ]
    assert "swing_repeated_header" not in kinds(result, "warning")


def test_long_layout_is_pivoted_per_indicator_and_period():
    result = check(LONG)
    assert result.ok, result.issues
    assert result.frame.columns.tolist() == [
        "code",
        "Wmo-cliënten 2024",
        "Inwoners 2024",
        "Wmo-cliënten 2023",
    ]
    frame = result.frame.set_index("code")
    assert frame.loc["BU99990000", "Inwoners 2024"] == 1200.0  # thousands dot in a ';' file
    assert frame.loc["BU99990003", "Wmo-cliënten 2024"] == 9.0
    assert pd.isna(frame.loc["BU99990000", "Wmo-cliënten 2023"])  # '.' is missing
    assert pd.isna(frame.loc["BU99990001", "Wmo-cliënten 2023"])  # no row at all
    assert set(result.below_threshold["code"]) == {"BU99990003"}
    result_pairs = check(LONG, pairs={"Wmo-cliënten 2024": "Inwoners 2024"})
    assert result_pairs.ok and result_pairs.pairs == {"Wmo-cliënten 2024": "Inwoners 2024"}


def test_long_layout_in_xlsx():
    rows = [line.split(";") for line in LONG.decode("cp1252").splitlines()]
    result = check(xlsx(rows), "export.xlsx")
    assert result.ok, result.issues
    assert len(result.frame) == 3


def test_long_layout_reports_bad_values_at_their_own_file_row():
    data = LONG.replace(b"Molenbuurt e.o.;30", b"Molenbuurt e.o.;=1+1")
    result = check(data)
    assert not result.ok
    bad = [i for i in result.errors if i.kind == "not_numeric"]
    assert [i.row for i in bad] == [3]
    assert result.frame.empty


def test_long_layout_with_two_units_for_one_indicator_keeps_both():
    data = (
        b"Indicator;Eenheid;Periode;gebied;Waarde\n"
        b"Wmo;aantal;2024;Lindenhof;20\n"
        b"Wmo;%;2024;Lindenhof;3,5\n"
    )
    result = check(data)
    assert result.ok, result.issues
    assert result.frame.columns.tolist() == ["code", "Wmo 2024 (aantal)", "Wmo 2024 (%)"]
    assert result.frame.iloc[0, 2] == 3.5


@pytest.mark.parametrize(
    ("data", "kind", "word"),
    [
        (  # one value twice: not one row per area
            b"Indicator;Eenheid;Periode;gebied;Waarde\nA;n;2024;Lindenhof;1\nA;n;2024;Lindenhof;2\n",
            "duplicate_row",
            "meer dan eens",
        ),
        (  # many values per area and indicator: person-level
            b"Indicator;Eenheid;Periode;gebied;Waarde\n" + b"A;n;2024;Lindenhof;1\n" * 4,
            "person_level",
            "per persoon",
        ),
        (
            b"Indicator;Eenheid;Periode;gebied;Waarde\nA;n;2024;;1\n",
            "swing_row",
            "geen gebied",
        ),
        (
            b"Indicator;Eenheid;Periode;gebied;Waarde\nA;n;2024;Lindenhof;1;7\n",
            "extra_values",
            "vijf waarden",
        ),
        (
            b"Indicator;Eenheid;Periode;gebied;Waarde\n",
            "no_rows",
            "geen regels",
        ),
        (  # names repeat many times in a plain file: person-level
            b"buurtnaam;wmo\n" + b"Lindenhof;1\n" * 3,
            "person_level",
            "per persoon",
        ),
        (
            b"buurtnaam;wmo\nLindenhof;1\nlindenhof ;2\n",
            "duplicate_code",
            "hetzelfde gebied",
        ),
        (
            b'buurtnaam;wmo\n=HYPERLINK("x");1\nLindenhof;12\n',
            "formula",
            "formuleteken",
        ),
        (
            b"Buurten;wmo|2024\nBuurt Lindenhof;-4\n",
            "negative",
            "negatief",
        ),
        (
            b"Buurten;wmo|2024\nNergenshuizen;4\nTotaal;4\n",
            "no_name_matched",
            "geen enkele gebiedsnaam",
        ),
        (
            b"Buurten;wmo|2024\nBuurten totaal;4\n",
            "no_name_matched",
            "alleen totaalregels",
        ),
    ],
)
def test_bad_name_and_swing_files_are_refused_in_dutch(data, kind, word):
    result = check(data)
    assert not result.ok
    assert kind in kinds(result)
    assert any(word in i.message.lower() for i in result.errors)
    assert result.frame.empty and result.pairs == {}


def test_names_without_the_cbs_names_cannot_be_used():
    result = check(WIDE, area_names=None)
    assert not result.ok
    assert "names_unchecked" in kinds(result)
    assert "CBS-buurtnamen" in next(i for i in result.errors if i.kind == "names_unchecked").message


def test_plain_file_with_a_name_column_and_no_codes():
    result = check(b"wijknaam;bijstand\nLindenhof;40\nZUILEN-NOORD;15\n")
    assert result.ok
    assert result.frame["code"].tolist() == ["BU99990000", "BU99990003"]
    assert result.details["name_column"] == "wijknaam"


def test_code_files_with_a_bar_in_their_headers_stay_strict():
    result = check(b"code;wmo|2024\nBU99990000;.\n")
    assert not result.ok and "not_numeric" in kinds(result)


def test_a_code_column_still_wins_over_names():
    result = check(b"code;buurtnaam;n\nBU99990000;Iets heel anders;12\n")
    assert result.ok and result.names is None
    assert "label_ignored" in kinds(result, "info")


def test_unmatched_rows_are_still_checked_for_bad_values():
    result = check(b"buurtnaam;wmo\nLindenhof;12\nNergenshuizen;@SUM(A1)\n")
    assert not result.ok
    assert "not_numeric" in kinds(result)


def test_matched_code_outside_the_known_codes_is_not_used():
    result = check(b"buurtnaam;wmo\nLindenhof;12\nZuilen-Noord;30\n", known_codes=["BU99990000"])
    assert result.ok
    assert result.frame["code"].tolist() == ["BU99990000"]


@pytest.mark.shared_data
def test_real_utrecht_in_cijfers_export(shared_data):
    areas = utrecht_buurt_names(shared_data)
    path = shared_data / "municipal-exports" / "utrecht_in_cijfers_zuilen_buurten_2024.csv"
    data = path.read_bytes()
    result = check(data, path.name, gemeentecode="GM0344", area_names=areas, known_codes=areas)
    assert result.ok, result.errors
    assert result.details["delimiter"] == ";"
    assert len(result.frame.columns) == 1 + 23  # 23 columns, all headed alike
    assert "swing_repeated_header" in kinds(result, "warning")
    assert result.names.counts()["normalised"] == 5
    assert len(result.frame) == 5
    assert result.frame["code"].str.startswith("BU034402").all()
    first = result.frame.set_index("code").loc["BU03440231"]
    assert first.iloc[0] == 17.0 and first.isna().sum() == 13  # '.' read as missing
    accepted = {name: found[0].code for name, found in result.names.suggestions.items()}
    confirmed = check(
        data, path.name, gemeentecode="GM0344", area_names=areas, accepted_names=accepted
    )
    assert confirmed.ok and len(confirmed.frame) == 7
    # The total row is skipped, not read as an area; the seven buurten add up to it.
    assert confirmed.frame.iloc[:, -1].sum() == 12428


_CELLS = st.sampled_from(
    ["Lindenhof", "Buurt Molenbuurt e.o.", "zuilen-noord", "x", "", ".", "12", "-3", "=1"]
    + ["1,5", "1.200", "Totaal", "BU99990000", "Indicator", "gebied", "Waarde", "a|b"]
)


@given(
    rows=st.lists(st.lists(_CELLS, min_size=1, max_size=5), min_size=1, max_size=7),
    layout=st.sampled_from(["wide", "long", "plain"]),
    accept=st.booleans(),
)
def test_any_name_file_gives_a_result_and_ok_means_unique_known_codes(rows, layout, accept):
    head = {
        "wide": ["Buurten", *["wmo|2024"] * (len(rows[0]) - 1)],
        "long": ["Indicator", "Eenheid", "Periode", "gebied", "Waarde"],
        "plain": ["buurtnaam", *[f"n{j}" for j in range(len(rows[0]) - 1)]],
    }[layout]
    data = "\n".join(";".join(r) for r in [head, *rows]).encode()
    accepted = {"x": "BU99990002"} if accept else None
    result = check(data, accepted_names=accepted)
    assert all(i.message for i in result.issues)
    if result.ok:
        assert len(result.frame) > 0 and result.frame["code"].is_unique
        assert set(result.frame["code"]) <= set(AREAS)
        used = set(result.names.matched.values()) if result.names else set()
        assert set(result.frame["code"]) <= used or result.names is None
    else:
        assert result.frame.empty and result.errors
