from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from geopandas.testing import assert_geodataframe_equal

from layers.disclosure import (
    LOG_COLUMNS,
    PUBLIC_LOG_COLUMNS,
    describe_nl,
    public_log,
    suppress,
    suppress_levels,
    suppression_notes_nl,
)


def _frame(buurten: dict[str, dict[str, float]], *, wijken=True, column="n") -> pd.DataFrame:
    """A gemeente GM0001 with wijken WK000101.. and buurten; totals are exact sums.

    ``buurten`` maps wijk suffix -> {buurt suffix: value}.
    """
    rows = []
    gemeente_total = 0.0
    for w, members in buurten.items():
        wijk = f"WK0001{w}"
        total = 0.0
        for b, value in members.items():
            rows.append(
                {
                    "code": f"BU0001{w}{b}",
                    "level": "buurt",
                    "wijkcode": wijk,
                    "gemeentecode": "GM0001",
                    column: value,
                }
            )
            total += 0.0 if np.isnan(value) else value
        if wijken:
            rows.append(
                {
                    "code": wijk,
                    "level": "wijk",
                    "wijkcode": wijk,
                    "gemeentecode": "GM0001",
                    column: total,
                }
            )
        gemeente_total += total
    rows.append(
        {
            "code": "GM0001",
            "level": "gemeente",
            "wijkcode": None,
            "gemeentecode": "GM0001",
            column: gemeente_total,
        }
    )
    return pd.DataFrame(rows)


def _hidden(result, column="n") -> set[str]:
    return set(result.frame.loc[result.mask[column], "code"])


def test_primary_only_hides_cells_below_threshold_on_a_flat_table():
    frame = pd.DataFrame({"code": ["BU1", "BU2", "BU3"], "level": "buurt", "n": [3, 10, 0]})
    result = suppress(frame, count_columns=["n"], threshold=10)
    assert result.mask["n"].tolist() == [True, False, True]
    assert result.frame["n"].isna().tolist() == [True, False, True]
    assert result.frame.loc[1, "n"] == 10
    assert set(result.log["reason"]) == {"primary"}


def test_lone_suppressed_buurt_gets_partners_that_keep_its_interval():
    # 20 alone would leave 4 + 20 = 24: enough while the reasons stay unpublished, but
    # if they leaked, 20 would be known to lie in [15, 24] (narrower than 10). A second
    # partner is needed; the cheaper one (50, not 90) is taken.
    frame = _frame({"01": {"01": 4, "02": 50, "03": 20, "04": 90}, "02": {"01": 40, "02": 60}})
    result = suppress(frame, count_columns=["n"])
    assert _hidden(result) == {"BU00010101", "BU00010102", "BU00010103"}
    log = result.log.set_index("code")
    assert log.loc["BU00010101", "reason"] == "primary"
    assert log.loc["BU00010103", "reason"] == "secondary"
    assert log.loc["BU00010103", "rule"] == "complementary"
    # The wijk and gemeente totals stay published.
    assert not result.mask.loc[frame["level"] != "buurt", "n"].any()


def test_two_small_buurten_summing_below_the_threshold_need_a_partner():
    # 4 + 5 = 9 would be published by the wijk total: each would lie in [0, 9], less
    # than the protection level of 10.
    frame = _frame({"01": {"01": 4, "02": 5, "03": 20}, "02": {"01": 40, "02": 60}})
    result = suppress(frame, count_columns=["n"])
    assert _hidden(result) == {"BU00010101", "BU00010102", "BU00010103"}
    assert result.n_secondary == 1


def test_single_buurt_wijk_hides_its_wijk_and_then_a_partner_wijk_with_a_buurt():
    # Wijk 01 has one buurt (value 6); the wijk total equals it and must go too.
    frame = _frame({"01": {"01": 6}, "02": {"01": 40, "02": 30}, "03": {"01": 80, "02": 90}})
    result = suppress(frame, count_columns=["n"])
    hidden = _hidden(result)
    # 6 and its wijk total (also 6), a partner wijk, and buurten inside that wijk so
    # that its own total cannot be rebuilt; the gemeente total stays published.
    assert {"BU00010101", "WK000101", "WK000102"} <= hidden
    assert hidden & {"BU00010201", "BU00010202"}
    assert "GM0001" not in hidden


def test_small_parent_total_forces_a_child_to_be_hidden():
    # An uploaded wijk total below the threshold whose buurten are large enough themselves.
    frame = _frame({"01": {"01": 12, "02": 15}, "02": {"01": 40}})
    frame.loc[frame["code"] == "WK000101", "n"] = 7  # an inconsistent, small uploaded total
    result = suppress(frame, count_columns=["n"])
    hidden = _hidden(result)
    assert "WK000101" in hidden
    assert "BU00010101" in hidden  # the smallest child, so WK000101 is not their sum
    # WK000101 is then alone in the gemeente equation: a partner wijk is hidden too.
    assert "WK000102" in hidden


def test_buurten_hang_under_the_gemeente_when_wijk_rows_are_absent():
    frame = _frame({"01": {"01": 4, "02": 50}, "02": {"01": 40, "02": 60}}, wijken=False)
    result = suppress(frame, count_columns=["n"])
    assert _hidden(result) == {"BU00010101", "BU00010102", "BU00010201"}


def test_missing_buurt_never_counts_as_protection():
    frame = _frame({"01": {"01": 4, "02": np.nan, "03": 30}, "02": {"01": 40}})
    result = suppress(frame, count_columns=["n"])
    assert "BU00010103" in _hidden(result)
    assert not result.mask.loc[frame["code"] == "BU00010102", "n"].any()


def test_missing_wijk_total_still_links_its_buurten_to_the_gemeente():
    frame = _frame({"01": {"01": 4, "02": 30}, "02": {"01": 40}, "03": {"01": 55}})
    frame.loc[frame["code"] == "WK000101", "n"] = np.nan
    result = suppress(frame, count_columns=["n"])
    hidden = _hidden(result)
    # WK000101 is unknown (missing with a hidden child); in the gemeente equation it
    # needs a partner wijk, else it (and then BU00010101 = WK - 30) is recoverable.
    assert "WK000102" in hidden
    # The partner wijk is then the lone unknown of its own equation: its buurt goes too.
    assert "BU00010201" in hidden


def test_zero_counts_are_below_the_threshold():
    frame = _frame({"01": {"01": 0, "02": 50, "03": 60}})
    result = suppress(frame, count_columns=["n"])
    assert {"BU00010101", "BU00010102"} <= _hidden(result)


def test_threshold_is_configurable():
    frame = _frame({"01": {"01": 12, "02": 50, "03": 60}})
    assert _hidden(suppress(frame, count_columns=["n"], threshold=10)) == set()
    assert _hidden(suppress(frame, count_columns=["n"], threshold=15)) == {
        "BU00010101",
        "BU00010102",
        "BU00010103",
    }


def test_rates_follow_their_numerator_and_denominator():
    frame = pd.DataFrame(
        {
            "code": ["BU1", "BU2", "BU3", "BU4", "BU5"],
            "level": "buurt",
            "clients": [5, 40, 50, np.nan, 60],
            "inhabitants": [100, 900, 8, 100, 700],
            "pct": [5.0, 4.4, 625.0, 3.0, np.nan],
        }
    )
    result = suppress(
        frame, rate_columns={"pct": ("clients", "inhabitants")}, denominator_threshold=50
    )
    assert result.mask["pct"].tolist() == [True, False, True, True, False]
    assert result.mask["clients"].tolist() == [True, False, False, False, False]
    rules = result.log.loc[result.log["column"] == "pct"].set_index("code")["rule"].to_dict()
    assert rules == {
        "BU1": "numerator_below_threshold",
        "BU3": "denominator_below_threshold",
        "BU4": "input_missing",
    }
    # BU5's rate was missing to begin with: not suppressed, not logged.
    assert "BU5" not in set(result.log["code"])


def test_rate_is_hidden_when_its_numerator_is_a_secondary_suppression():
    frame = _frame({"01": {"01": 4, "02": 50, "03": 20}}, column="clients")
    frame["inhabitants"] = 1000.0
    frame["pct"] = frame["clients"] / frame["inhabitants"] * 100
    result = suppress(frame, rate_columns={"pct": ("clients", "inhabitants")})
    secondary = result.log.query("column == 'pct' and reason == 'secondary'")
    hidden_counts = set(result.log.query("column == 'clients' and reason == 'secondary'")["code"])
    assert set(secondary["code"]) == hidden_counts and hidden_counts
    assert set(secondary["rule"]) == {"numerator_suppressed"}


def test_input_is_not_mutated_and_visible_values_are_unchanged():
    frame = _frame({"01": {"01": 4, "02": 50, "03": 20}, "02": {"01": 6, "02": 60}})
    before = frame.copy(deep=True)
    result = suppress(frame, count_columns=["n"])
    pd.testing.assert_frame_equal(frame, before)
    visible = ~result.mask["n"]
    np.testing.assert_array_equal(result.frame.loc[visible, "n"], frame.loc[visible, "n"])
    assert result.frame.index.equals(frame.index)


def test_log_has_documented_columns_and_dutch_explanations():
    frame = _frame({"01": {"01": 4, "02": 50, "03": 20}})
    result = suppress(frame, count_columns=["n"])
    assert tuple(result.log.columns) == LOG_COLUMNS
    notes = suppression_notes_nl(result.log, "BU00010101")
    # A primary and a secondary cell get the same words: nothing tells them apart.
    assert notes == suppression_notes_nl(result.log, "BU00010103")
    assert notes[0].startswith("n: verborgen")
    empty = suppress(_frame({"01": {"01": 40}}), count_columns=["n"]).log
    assert tuple(empty.columns) == LOG_COLUMNS and empty.empty


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(columns="wijkcode"), "wijkcode"),
        (lambda f: f.assign(code="X"), "unique"),
        (lambda f: f.assign(n=-1), "negative"),
        (lambda f: f.assign(level="provincie"), "hierarchy"),
    ],
)
def test_bad_frames_raise_clear_errors(change, message):
    frame = _frame({"01": {"01": 4, "02": 50}})
    with pytest.raises(ValueError, match=message):
        suppress(change(frame), count_columns=["n"])


@pytest.mark.parametrize("pct", [-1, 101])
def test_bad_protection_pct_is_rejected(pct):
    with pytest.raises(ValueError, match="protection_pct"):
        suppress(_frame({"01": {"01": 4}}), count_columns=["n"], protection_pct=pct)


@pytest.mark.parametrize("threshold", [0, -3, 2.5, True])
def test_bad_threshold_is_rejected(threshold):
    with pytest.raises(ValueError, match="threshold"):
        suppress(_frame({"01": {"01": 4}}), count_columns=["n"], threshold=threshold)


def test_missing_column_is_named():
    with pytest.raises(ValueError, match="wmo"):
        suppress(_frame({"01": {"01": 4}}), count_columns=["wmo"])


def test_suppress_levels_keeps_each_level_frame_and_its_geometry(demo_frames):
    protected, log = suppress_levels(
        demo_frames,
        count_columns=["youth_care_count"],
        rate_columns={"youth_care_pct": ("youth_care_count", "age_0_15")},
    )
    assert set(protected) == {"buurt", "wijk", "gemeente"}
    for level, frame in demo_frames.items():
        out = protected[level]
        assert out.index.equals(frame.index)
        assert out.crs == frame.crs
        kept = out.drop(columns=["youth_care_count", "youth_care_pct"])
        assert_geodataframe_equal(kept, frame.drop(columns=["youth_care_count", "youth_care_pct"]))
    assert (log["column"] == "youth_care_count").any()
    hidden_codes = set(log.loc[log["column"] == "youth_care_count", "code"])
    buurt = protected["buurt"].set_index("code")
    assert buurt.loc[sorted(hidden_codes & set(buurt.index)), "youth_care_count"].isna().all()


def test_describe_nl_states_the_rules_and_counts():
    assert "kleiner dan 15" in describe_nl(threshold=15)
    assert "CBS" in describe_nl()
    frame = _frame({"01": {"01": 4, "02": 50, "03": 20}})
    text = describe_nl(log=suppress(frame, count_columns=["n"]).log)
    assert "3 cel(len) verborgen" in text
    assert "minstens 10 (of 10% van het getal" in text
    assert not _REASON_WORDS.search(text)


_REASON_WORDS = re.compile(r"primai?r|secundai?r|secondary|primary", re.IGNORECASE)


def test_public_log_never_says_why_a_cell_is_hidden():
    frame = _frame({"01": {"01": 4, "02": 50, "03": 20}, "02": {"01": 6, "02": 60}})
    frame["inhabitants"] = 1000.0
    frame["pct"] = frame["n"] / frame["inhabitants"] * 100
    result = suppress(frame, count_columns=["n"], rate_columns={"pct": ("n", "inhabitants")})
    assert set(result.log["reason"]) == {"primary", "secondary"}  # kept internally
    public = public_log(result.log)
    assert tuple(public.columns) == PUBLIC_LOG_COLUMNS
    assert len(public) == len(result.log)
    assert public["explanation_nl"].nunique() == 1
    assert not _REASON_WORDS.search(public.to_csv())
    assert not _REASON_WORDS.search(result.log["explanation_nl"].str.cat())


def test_a_higher_protection_percentage_widens_large_cells_intervals():
    from layers import _protection
    from layers.disclosure import _parent_positions

    frame = _frame({"01": {"01": 4, "02": 300, "03": 900, "04": 12}})
    values = frame["n"].to_numpy(dtype=float)
    eff, depth = _protection.structure(
        values, _parent_positions(frame, ("buurt", "wijk", "gemeente"))
    )
    patterns = {}
    for pct in (0.0, 50.0):
        hidden = suppress(frame, count_columns=["n"], protection_pct=pct).mask["n"].to_numpy()
        found = _protection.check(values, hidden, eff, depth, threshold=10, pct=pct)
        width = (found["hi"] - found["lo"])[hidden]
        assert (width >= np.maximum(10, np.ceil(values[hidden] * pct / 100))).all()
        patterns[pct] = set(frame.loc[hidden, "code"])
    assert patterns[0.0] != patterns[50.0]
