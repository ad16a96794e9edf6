"""Settings ↔ URL query parameters: validation, defaults and the round trip."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo_app.session import state

CHOICES = {
    "gm": ["GM0505", "GM9999"],
    "year": [2024, 2023],
    "layer": ["stacking_score", "pct_rental"],
    "area": ["BU05050101", "BU05050102"],
    "cmp": ["BU05050101", "BU05050102"],
    "profile": ["default"],
    "method": ["kmeans", "ward"],
    # the period range of the trends: van from the first year, tot down from the last
    "van": [2016, 2017, 2018, 2019, 2020, 2021, 2022, 2023],
    "tot": [2024, 2023, 2022, 2021, 2020, 2019, 2018, 2017],
    "thema": ["wmo", "jeugdzorg", "voorzieningen", "bijstand"],
}
ALL = list(state.SPECS)


def test_empty_url_gives_defaults_and_no_rejections():
    values, rejected = state.parse_params({}, names=ALL, choices=CHOICES)
    assert rejected == []
    assert values["lang"] == "nl"
    assert values["gm"] == "GM0505"  # first available gemeente
    assert values["year"] == 2024
    assert values["layer"] == "stacking_score"
    assert values["classes"] == 5
    assert values["area"] is None
    assert values["cmp"] == ()
    assert values["wijken"] is True
    assert (values["van"], values["tot"], values["thema"]) == (2016, 2024, "wmo")


def test_valid_url_values_are_read():
    params = {
        "lang": "en",
        "gm": "GM9999",
        "year": "2023",
        "level": "wijk",
        "layer": "pct_rental",
        "scheme": "natural_breaks",
        "classes": "7",
        "wijken": "0",
        "basemap": "osm",
        "threshold": "90",
        "scope": "selection",
        "set": "GM0590,gm0505",
        "method": "ward",
        "k": "6",
        "alpha": "0.01",
        "area": "bu05050102",
        "cmp": "BU05050101,BU05050102",
        "tab": "tabel",
        "van": "2019",
        "tot": "2023",
        "thema": "bijstand",
    }
    values, rejected = state.parse_params(params, names=ALL, choices=CHOICES)
    assert rejected == []
    assert values == {
        "lang": "en",
        "gm": "GM9999",
        "year": 2023,
        "level": "wijk",
        "layer": "pct_rental",
        "scheme": "natural_breaks",
        "classes": 7,
        "wijken": False,
        "basemap": "osm",
        "profile": "default",
        "threshold": 90,
        "scope": "selection",
        "set": ("GM0590", "GM0505"),
        "method": "ward",
        "k": 6,
        "alpha": 0.01,
        "area": "BU05050102",
        "cmp": ("BU05050101", "BU05050102"),
        "tab": "tabel",
        "van": 2019,
        "tot": 2023,
        "thema": "bijstand",
    }


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("lang", "de"),
        ("gm", "GM0001"),
        ("year", "twee"),
        ("year", "1999"),
        ("layer", "<script>"),
        ("classes", "99"),
        ("classes", "2"),
        ("wijken", "misschien"),
        ("threshold", "42"),
        ("alpha", "0.2"),
        ("k", "1"),
        ("area", "DROP TABLE"),
        ("area", "BU99999999"),
        ("cmp", "BU05050101,nonsense"),
        ("tab", "kapot"),
        ("van", "2015"),  # a year without series
        ("van", "2024"),  # the last year cannot start a range
        ("tot", "2030"),
        ("tot", "2016"),  # the first year cannot end a range
        ("van", "negentien"),
        ("thema", "armoede"),
    ],
)
def test_bad_values_fall_back_to_default_and_are_named(name, raw):
    values, rejected = state.parse_params({name: raw}, names=ALL, choices=CHOICES)
    assert rejected == [name]
    assert values[name] == state.default(name, CHOICES)


@pytest.mark.parametrize(("van", "tot"), [("2022", "2019"), ("2020", "2020")])
def test_a_period_range_the_wrong_way_round_falls_back_to_the_whole_range(van, tot):
    values, rejected = state.parse_params({"van": van, "tot": tot}, names=ALL, choices=CHOICES)
    assert rejected == ["van", "tot"]
    assert (values["van"], values["tot"]) == (2016, 2024)


def test_period_range_and_theme_round_trip_through_the_url():
    values, _ = state.parse_params({}, names=ALL, choices=CHOICES)
    values |= {"van": 2019, "tot": 2024, "thema": "jeugdzorg", "layer": "pct_rental"}
    params = state.to_params(values, choices=CHOICES)
    assert {k: params[k] for k in ("van", "thema")} == {"van": "2019", "thema": "jeugdzorg"}
    assert "tot" not in params  # the last year is the default
    again, rejected = state.parse_params(params, names=ALL, choices=CHOICES)
    assert rejected == [] and again == values


def test_list_valued_params_take_the_last_item():
    values, rejected = state.parse_params({"classes": ["4", "6"]}, names=["classes"])
    assert (values, rejected) == ({"classes": 6}, [])


def test_to_params_leaves_out_defaults_but_always_names_the_data():
    values, _ = state.parse_params({}, names=ALL, choices=CHOICES)
    assert state.to_params(values, choices=CHOICES) == {"gm": "GM0505", "year": "2024"}


@given(
    level=st.sampled_from(["buurt", "wijk"]),
    classes=st.integers(3, 9),
    threshold=st.sampled_from(range(50, 100, 5)),
    wijken=st.booleans(),
    alpha=st.sampled_from([0.01, 0.05, 0.1]),
    cmp=st.lists(st.sampled_from(CHOICES["cmp"]), unique=True),
    area=st.sampled_from([None, *CHOICES["area"]]),
    span=st.sampled_from([(a, b) for a in CHOICES["van"] for b in CHOICES["tot"] if a < b]),
)
def test_round_trip_reopens_identically(level, classes, threshold, wijken, alpha, cmp, area, span):
    values, _ = state.parse_params({}, names=ALL, choices=CHOICES)
    values |= {
        "level": level,
        "classes": classes,
        "threshold": threshold,
        "wijken": wijken,
        "alpha": alpha,
        "cmp": tuple(cmp),
        "area": area,
        "van": span[0],
        "tot": span[1],
    }
    params = state.to_params(values, choices=CHOICES)
    again, rejected = state.parse_params(params, names=ALL, choices=CHOICES)
    assert rejected == []
    assert again == values


@given(st.dictionaries(st.sampled_from(ALL), st.text(max_size=30)))
def test_any_url_gives_valid_settings(params):
    values, rejected = state.parse_params(params, names=ALL, choices=CHOICES)
    assert set(rejected) <= set(params)
    for name, value in values.items():
        assert state.is_valid(name, value, CHOICES), (name, value)


def test_amsterdam_alphanumeric_codes_reopen_from_a_link():
    choices = {
        **CHOICES,
        "gm": ["GM0363"],
        "area": ["WK0363AA", "BU0363AA01"],
        "cmp": ["BU0363AA01", "BU0363AA02"],
    }
    params = {"gm": "GM0363", "area": "BU0363AA01", "cmp": "BU0363AA01,BU0363AA02"}
    values, rejected = state.parse_params(params, names=["gm", "area", "cmp"], choices=choices)
    assert rejected == []
    assert values["area"] == "BU0363AA01" and values["cmp"] == ("BU0363AA01", "BU0363AA02")
    values, rejected = state.parse_params({"area": "wk0363aa"}, names=["area"], choices=choices)
    assert values["area"] == "WK0363AA" and rejected == []


@pytest.mark.parametrize("raw", ["BU0363AA0", "WK0363A", "GM036A", "BU0363aa01x", "XX0363AA"])
def test_malformed_codes_are_still_refused(raw):
    _, rejected = state.parse_params({"area": raw}, names=["area"], choices=CHOICES)
    assert rejected == ["area"]
