"""Area-name matching (layers.area_names): normaliser, matcher, the real Utrecht names."""

from __future__ import annotations

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from layers.area_names import match_names, normalise_name

AREAS = {
    "BU99990001": "Julianapark en omgeving",
    "BU99990002": "Zuilen-Noord",
    "BU99990003": "Prins Bernhardplein en omgeving",
    "BU99990004": "Geuzenwijk",
    "BU99990005": "Máximapark",
    "BU99990006": "Oog in Al",
}


@pytest.mark.parametrize(
    ("written", "cbs"),
    [
        ("Buurt Julianapark e.o.", "Julianapark en omgeving"),
        ("JULIANAPARK EO", "Julianapark en omgeving"),
        ("Buurt Zuilen-noord", "Zuilen-Noord"),
        ("Maximapark", "Máximapark"),
        ("wijk 03 Overvecht", "Wijk 03 Overvecht"),
        ("Overvecht", "Wijk 03 Overvecht"),
        ("Taag & Rubicondreef", "Taag en Rubicondreef"),
    ],
)
def test_spellings_of_one_area_normalise_to_the_same_key(written, cbs):
    assert normalise_name(written) == normalise_name(cbs)


@pytest.mark.parametrize(
    ("one", "other"),
    [("Lombok-Oost", "Lombok-West"), ("Buurt", "Wijk"), ("Zuilen", "Zuilen-Noord")],
)
def test_different_areas_keep_different_keys(one, other):
    assert normalise_name(one) != normalise_name(other)


@given(st.text(max_size=40))
def test_normalising_is_idempotent_and_ignores_case(text):
    key = normalise_name(text)
    assert normalise_name(key) == key
    assert normalise_name(text.upper()) == key
    assert normalise_name(text.lower()) == key


@given(st.text(alphabet="abcdeoBuurtWijk &.,-0123é", max_size=30))
def test_keys_are_plain_lower_case_words(text):
    key = normalise_name(text)
    assert key == key.strip() and "  " not in key
    assert all(c.isascii() and (c.isalnum() or c == " ") and not c.isupper() for c in key)


def test_match_sorts_names_into_exact_normalised_suggested_and_unmatched():
    names = [
        "Oog in Al",
        "Buurt Julianapark e.o.",
        "Buurt Zuilen-noord",
        "Buurt Pr.Bernhardpl e.o., Demkageb",
        "Buurt Geuzenwijk, De Driehoek",
        "Hoog Catharijne",
    ]
    result = match_names(names, AREAS)
    assert result.matched == {
        "Oog in Al": "BU99990006",
        "Buurt Julianapark e.o.": "BU99990001",
        "Buurt Zuilen-noord": "BU99990002",
    }
    assert result.how == {
        "Oog in Al": "exact",
        "Buurt Julianapark e.o.": "normalised",
        "Buurt Zuilen-noord": "normalised",
    }
    assert result.suggestions["Buurt Pr.Bernhardpl e.o., Demkageb"][0].code == "BU99990003"
    assert result.suggestions["Buurt Geuzenwijk, De Driehoek"][0].code == "BU99990004"
    assert result.unmatched == ("Hoog Catharijne",)
    assert result.counts() == {
        "exact": 1,
        "normalised": 2,
        "accepted": 0,
        "suggested": 2,
        "unmatched": 1,
    }


def test_suggestions_are_used_only_when_accepted_and_only_for_known_codes():
    name = "Buurt Pr.Bernhardpl e.o., Demkageb"
    accepted = match_names([name], AREAS, accepted={name: "BU99990003"})
    assert accepted.matched == {name: "BU99990003"} and accepted.how[name] == "accepted"
    assert accepted.suggestions == {}
    bogus = match_names([name], AREAS, accepted={name: "BU00000000"})
    assert bogus.matched == {} and name in bogus.suggestions


def test_ambiguous_names_are_never_matched_automatically():
    areas = {"BU99990001": "Centrum", "BU99990002": "Buurt Centrum", "BU99990003": "Oost"}
    result = match_names(["centrum", "Oost"], areas)
    assert result.matched == {"Oost": "BU99990003"}
    assert result.ambiguous == ("centrum",)
    assert {c.code for c in result.suggestions["centrum"]} == {"BU99990001", "BU99990002"}


def test_match_does_not_modify_its_inputs():
    areas = dict(AREAS)
    accepted = {"x": "BU99990001"}
    match_names(["x", "Oog in Al"], areas, accepted=accepted)
    assert areas == AREAS and accepted == {"x": "BU99990001"}


def utrecht_buurt_names(shared_data) -> dict[str, str]:
    """CBS buurt names of Utrecht (GM0344) from KWB 2023: ``{code: name}``."""
    path = shared_data / "society-in-the-loop" / "CBS-Utrecht-kwb-2023.xlsx"
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        rows = list(book.active.iter_rows(values_only=True))
    finally:
        book.close()
    header = list(rows[0])
    code, name, kind = header.index("gwb_code_10"), header.index("regio"), header.index("recs")
    return {r[code]: r[name] for r in rows[1:] if r[kind] == "Buurt"}


@pytest.mark.shared_data
def test_real_utrecht_in_cijfers_names_against_cbs_2023(shared_data):
    import csv

    areas = utrecht_buurt_names(shared_data)
    assert len(areas) == 111
    path = shared_data / "municipal-exports" / "utrecht_in_cijfers_zuilen_buurten_2024.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        names = [row[0] for row in csv.reader(handle, delimiter=";")][1:]
    names = [n for n in names if n != "Buurten totaal"]
    result = match_names(names, areas)
    assert result.counts() == {
        "exact": 0,
        "normalised": 5,
        "accepted": 0,
        "suggested": 2,
        "unmatched": 0,
    }
    assert result.matched["Buurt Julianapark e.o."] == "BU03440231"
    assert result.matched["Buurt Zuilen-noord"] == "BU03440244"
    best = {name: found[0] for name, found in result.suggestions.items()}
    assert best["Buurt Pr.Bernhardpl e.o., Demkageb"].name == "Prins Bernhardplein en omgeving"
    assert best["Buurt Geuzenwijk, De Driehoek"].name == "Geuzenwijk"
    # All seven buurten of the export lie in wijk 02 Noordwest (Zuilen).
    codes = [*result.matched.values(), *(c.code for c in best.values())]
    assert all(code.startswith("BU034402") for code in codes)
