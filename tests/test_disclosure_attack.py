"""Try to recover suppressed cells from the published totals; it must never work.

The attacker knows every published value, knows the true value of every
missing buurt (worst case: as if it were zero in its wijk's sum) and knows
that each published total is the exact sum of its children. Two attacks:

* *differencing*: for each published relation (wijk = sum of its buurten,
  gemeente = sum of its wijken, and the combined gemeente = sum of all its
  buurten), if exactly one cell in it is unknown, solve it; repeat until no
  new cell is learnt;
* *linear algebra*: a cell is exactly determined by the system of all those
  relations when its unit vector lies in the row space of the coefficient
  matrix over the unknown cells. This finds every combination of totals.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from layers.disclosure import suppress

#: Examples per run; raise it for a longer attack campaign.
_EXAMPLES = int(os.environ.get("STAPELKAART_ATTACK_EXAMPLES", "200"))


@st.composite
def hierarchies(draw):
    """One or two gemeenten, their wijken and buurten, exact sums, some values missing."""
    codes, levels, wijkcodes, gemeentecodes, true = [], [], [], [], []

    def add(code, level, wijkcode, gemeentecode, value):
        codes.append(code)
        levels.append(level)
        wijkcodes.append(wijkcode)
        gemeentecodes.append(gemeentecode)
        true.append(value)
        return len(codes) - 1

    for g in range(draw(st.integers(1, 2))):
        gm = f"GM{g + 1:04d}"
        with_wijken = draw(st.booleans()) or draw(st.booleans())
        gemeente_total = 0.0
        for w in range(draw(st.integers(1, 4))):
            wk = f"WK{g + 1:04d}{w:02d}"
            wijk_total = 0.0
            for b in range(draw(st.integers(1, 5))):
                value = float(draw(st.one_of(st.integers(0, 14), st.integers(0, 300))))
                add(f"BU{g + 1:04d}{w:02d}{b:02d}", "buurt", wk, gm, value)
                wijk_total += value
            if with_wijken:
                add(wk, "wijk", wk, gm, wijk_total)
            gemeente_total += wijk_total
        add(gm, "gemeente", None, gm, gemeente_total)
    frame = pd.DataFrame(
        {
            "code": codes,
            "level": levels,
            "wijkcode": wijkcodes,
            "gemeentecode": gemeentecodes,
            "true": true,
        }
    )
    missing = draw(st.lists(st.booleans(), min_size=len(frame), max_size=len(frame)))
    missing = np.asarray(missing) & draw(st.booleans())  # about half the tables have none
    frame["n"] = frame["true"].mask(missing)
    threshold = draw(st.sampled_from([5, 10, 15]))
    return frame, threshold


def _children(frame: pd.DataFrame) -> dict[int, list[int]]:
    """Positions of each parent's children (wijk under gemeente if present, else buurt)."""
    codes = dict(zip(frame["code"], range(len(frame)), strict=True))
    out: dict[int, list[int]] = {i: [] for i in range(len(frame))}
    rows = zip(frame["level"], frame["wijkcode"], frame["gemeentecode"], strict=True)
    for pos, (level, wijkcode, gemeentecode) in enumerate(rows):
        if level == "buurt":
            out[codes.get(wijkcode, codes[gemeentecode])].append(pos)
        elif level == "wijk":
            out[codes[gemeentecode]].append(pos)
    return out


def _relations(frame: pd.DataFrame) -> list[tuple[int, list[int]]]:
    """Every published relation ``parent = sum(children)``, plus gemeente = sum of buurten.

    A total whose children are all missing (and link nothing further down) is no
    relation (the documented model): it stands in for its buurten as a leaf, also
    in the combined gemeente relation.
    """
    children = _children(frame)
    present = frame["n"].notna().to_numpy()
    levels = frame["level"].to_numpy()
    linked: set[int] = set()
    for level in ("wijk", "gemeente"):  # bottom-up
        for p in np.flatnonzero(levels == level):
            if any(present[c] or c in linked for c in children[p]):
                linked.add(int(p))
    relations = [(p, c) for p, c in children.items() if p in linked]
    for pos in np.flatnonzero(levels == "gemeente"):
        expanded = []
        for c in children[pos]:
            expanded += children[c] if c in linked else [c]
        if expanded != children[pos]:
            relations.append((int(pos), [int(i) for i in expanded]))
    return relations


def _attacker_unknowns(frame: pd.DataFrame, hidden: np.ndarray) -> np.ndarray:
    """Hidden cells plus missing totals; missing buurten are known to the attacker."""
    linked = {p for p, _ in _relations(frame)}
    has_children = np.array([i in linked for i in range(len(frame))])
    return hidden | (frame["n"].isna().to_numpy() & has_children)


def difference_attack(frame: pd.DataFrame, hidden: np.ndarray) -> set[int]:
    """Positions of hidden cells recovered by repeated single-unknown differencing."""
    true = frame["true"].to_numpy()
    unknown = _attacker_unknowns(frame, hidden)
    learnt = np.where(unknown, np.nan, true)
    relations = _relations(frame)
    recovered: set[int] = set()
    changed = True
    while changed:
        changed = False
        for parent, kids in relations:
            cells = [parent, *kids]
            open_cells = [c for c in cells if np.isnan(learnt[c])]
            if len(open_cells) != 1:
                continue
            (cell,) = open_cells
            rest = sum(learnt[k] for k in kids if k != cell)
            value = learnt[parent] - rest if cell != parent else rest
            assert value == true[cell]  # the attack is sound: what it learns is true
            learnt[cell] = value
            changed = True
            if hidden[cell]:
                recovered.add(cell)
    return recovered


def algebra_attack(frame: pd.DataFrame, hidden: np.ndarray) -> set[int]:
    """Positions of hidden cells exactly determined by the system of all relations.

    A cell is determined exactly when every solution of the homogeneous system
    leaves it unchanged, i.e. when its row of a null-space basis is zero.
    """
    unknown_pos = np.flatnonzero(_attacker_unknowns(frame, hidden))
    if len(unknown_pos) == 0:
        return set()
    column = {pos: j for j, pos in enumerate(unknown_pos)}
    rows = []
    for parent, kids in _relations(frame):
        row = np.zeros(len(unknown_pos))
        if parent in column:
            row[column[parent]] += 1.0
        for k in kids:
            if k in column:
                row[column[k]] -= 1.0
        if row.any():
            rows.append(row)
    if not rows:
        return set()
    _, singular, vt = np.linalg.svd(np.array(rows))
    rank = int((singular > 1e-9).sum())
    null = vt[rank:].T  # basis of all ways to change the unknowns without changing a total
    determined = np.all(np.abs(null) < 1e-9, axis=1)
    return {int(unknown_pos[j]) for j in np.flatnonzero(determined) if hidden[unknown_pos[j]]}


def interval_attack(frame: pd.DataFrame, hidden: np.ndarray) -> set[int]:
    """Hidden cells whose value is pinned down once counts are known to be non-negative.

    For each hidden cell, linear programming finds its smallest and largest value
    consistent with every published relation and ``x >= 0``; equal bounds mean the
    attacker knows the cell.
    """
    from scipy.optimize import linprog

    unknown_pos = np.flatnonzero(_attacker_unknowns(frame, hidden))
    if len(unknown_pos) == 0:
        return set()
    true = frame["true"].to_numpy()
    column = {pos: j for j, pos in enumerate(unknown_pos)}
    rows, rhs = [], []
    for parent, kids in _relations(frame):
        row = np.zeros(len(unknown_pos))
        known = 0.0
        for cell, sign in [(parent, 1.0)] + [(k, -1.0) for k in kids]:
            if cell in column:
                row[column[cell]] += sign
            else:
                known += sign * true[cell]
        if row.any():
            rows.append(row)
            rhs.append(-known)
    if not rows:
        return set()
    a_eq, b_eq = np.array(rows), np.array(rhs)
    pinned = set()
    for pos in np.flatnonzero(hidden):
        cost = np.zeros(len(unknown_pos))
        cost[column[pos]] = 1.0
        low = linprog(cost, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        high = linprog(-cost, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        assert low.status == 0  # the true values are a solution, so it is feasible
        if high.status == 0 and -high.fun - low.fun < 1e-6:
            pinned.add(int(pos))
    return pinned


@settings(max_examples=_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hierarchies())
def test_no_suppressed_cell_can_be_recovered_from_published_totals(case):
    frame, threshold = case
    result = suppress(frame, count_columns=["n"], threshold=threshold)
    hidden = result.mask["n"].to_numpy()
    # Primary suppression happened exactly where the published value is below threshold.
    below = frame["n"].to_numpy() < threshold
    assert (hidden | ~below).all()
    assert difference_attack(frame, hidden) == set()
    assert algebra_attack(frame, hidden) == set()
    # Nothing visible was altered.
    visible = ~hidden
    np.testing.assert_array_equal(
        result.frame["n"].to_numpy()[visible], frame["n"].to_numpy()[visible]
    )


@settings(
    max_examples=max(_EXAMPLES // 4, 50),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(hierarchies())
def test_non_negativity_does_not_pin_down_a_suppressed_cell(case):
    frame, threshold = case
    hidden = suppress(frame, count_columns=["n"], threshold=threshold).mask["n"].to_numpy()
    assert interval_attack(frame, hidden) == set()


def test_two_hidden_zeros_under_a_published_total_get_a_positive_partner():
    frame = _example()
    frame.loc[frame["code"] == "BU00010101", ["true", "n"]] = 0.0
    frame.loc[frame["code"] == "BU00010103", ["true", "n"]] = 0.0
    frame.loc[frame["code"] == "WK000101", ["true", "n"]] = 50.0
    frame.loc[frame["code"] == "GM0001", ["true", "n"]] = 127.0
    both_zero = frame["code"].isin(["BU00010101", "BU00010103"]).to_numpy()
    assert interval_attack(frame, both_zero) == set(np.flatnonzero(both_zero))
    hidden = suppress(frame, count_columns=["n"]).mask["n"].to_numpy()
    assert "BU00010102" in set(frame.loc[hidden, "code"])
    assert interval_attack(frame, hidden) == set()


def _example() -> pd.DataFrame:
    rows = [
        ("BU00010101", "buurt", "WK000101", 4.0),
        ("BU00010102", "buurt", "WK000101", 50.0),
        ("BU00010103", "buurt", "WK000101", 20.0),
        ("WK000101", "wijk", "WK000101", 74.0),
        ("BU00010201", "buurt", "WK000102", 7.0),
        ("WK000102", "wijk", "WK000102", 7.0),
        ("BU00010301", "buurt", "WK000103", 30.0),
        ("BU00010302", "buurt", "WK000103", 40.0),
        ("WK000103", "wijk", "WK000103", 70.0),
        ("GM0001", "gemeente", None, 151.0),
    ]
    frame = pd.DataFrame(rows, columns=["code", "level", "wijkcode", "true"])
    frame["gemeentecode"] = "GM0001"
    frame["n"] = frame["true"]
    return frame


def test_the_attacks_do_recover_cells_when_only_primary_suppression_is_applied():
    frame = _example()
    primary = (frame["n"] < 10).to_numpy()
    # BU00010101 = 74 - 50 - 20 from its wijk; WK000102 = 151 - 74 - 70 from the
    # gemeente, and then its only buurt BU00010201 from WK000102: a two-step recovery.
    assert set(frame.loc[primary, "code"]) == {"BU00010101", "BU00010201", "WK000102"}
    assert difference_attack(frame, primary) == set(np.flatnonzero(primary))
    assert algebra_attack(frame, primary) == set(np.flatnonzero(primary))
    # Our suppression of the same table leaves nothing to find.
    hidden = suppress(frame, count_columns=["n"]).mask["n"].to_numpy()
    assert difference_attack(frame, hidden) == set()
    assert algebra_attack(frame, hidden) == set()


def test_a_missing_wijk_total_is_recovered_through_the_gemeente_total():
    # The missing WK000101 follows from the gemeente total, and then the hidden buurt
    # from WK000101 although no published relation has it as its only unknown.
    frame = _example()
    frame.loc[frame["code"] == "WK000101", "n"] = np.nan
    primary = frame["code"].eq("BU00010101").to_numpy()
    assert algebra_attack(frame, primary) == {0}
    assert difference_attack(frame, primary) == {0}
    result = suppress(frame, count_columns=["n"], threshold=5)
    hidden = result.mask["n"].to_numpy()
    assert set(frame.loc[hidden, "code"]) == {"BU00010101", "WK000102", "BU00010201"}
    assert algebra_attack(frame, hidden) == set()


@pytest.mark.real_data
def test_real_rijnmond_hierarchy_resists_both_attacks(real_data):
    """Real buurten (452 of 11 gemeenten in ../shared, 122 of 3 in the fixture), their
    real wijken; municipal-like counts.

    The counts are CBS's Wmo client numbers divided by five (so that many cells are
    small), missing where CBS published nothing; wijk and gemeente totals are
    their exact sums.
    """
    stats = pd.read_parquet(
        real_data / "nprz-app" / "buurt_2024_stats_rijnmond_excl_rotterdam.parquet",
        columns=["buurtcode", "wijkcode", "gemeentecode", "WmoClienten_93"],
    )
    buurt = pd.DataFrame(
        {
            "code": stats["buurtcode"],
            "level": "buurt",
            "wijkcode": stats["wijkcode"],
            "gemeentecode": stats["gemeentecode"],
            "true": (stats["WmoClienten_93"] / 5).round(),
        }
    )
    wijk = buurt.groupby("wijkcode", as_index=False).agg(
        gemeentecode=("gemeentecode", "first"), true=("true", lambda v: v.sum(min_count=1))
    )
    wijk = wijk.assign(code=wijk["wijkcode"], level="wijk")
    gemeente = wijk.groupby("gemeentecode", as_index=False).agg(
        true=("true", lambda v: v.sum(min_count=1))
    )
    gemeente = gemeente.assign(code=gemeente["gemeentecode"], level="gemeente", wijkcode=None)
    frame = pd.concat([buurt, wijk, gemeente], ignore_index=True)
    frame["true"] = frame["true"].astype("float64")
    frame["n"] = frame["true"]
    # Missing buurten count as known zeros for the attacker: make the truth agree.
    frame["true"] = frame["true"].fillna(0.0)
    result = suppress(frame, count_columns=["n"])
    hidden = result.mask["n"].to_numpy()
    assert result.n_primary > 20 and result.n_secondary > 0
    assert difference_attack(frame, hidden) == set()
    assert algebra_attack(frame, hidden) == set()
    # Without the secondary suppressions the same attacker does recover cells.
    primary = (frame["n"] < 10).to_numpy()
    assert difference_attack(frame, primary)
