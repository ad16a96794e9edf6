"""Statistical disclosure control for municipal figures per buurt, wijk and gemeente.

A municipality's own figures (Wmo clients, jeugdzorg, bijstand per buurt) are
aggregates of people. Before any such figure is shown or exported, small
counts are hidden (*primary suppression*) and, because the levels add up
(buurten to their wijk, wijken to their gemeente), more cells are hidden so
that no hidden cell can be recovered by subtracting published cells from a
published total (*secondary* or *complementary suppression*). This is the
guarantee CBS's own tools (tau-ARGUS, sdcTable) give for hierarchical tables.

Model
-----
The input is one frame holding the rows of every level (``level`` column),
linked by the area frame keys: a row's parent is the row of the next level
whose code is in the row's ``<parent level>code`` column (``wijkcode`` for a
buurt, ``gemeentecode`` for a wijk). A buurt whose wijk row is absent hangs
directly under its gemeente. Every parent with at least one child is taken to
be published as the exact sum of its children, which is what an attacker would
assume.

Each parent with its children forms one equation ``parent = sum(children)``.
Every hidden cell must keep a *protection interval* (as tau-ARGUS has): the
range an attacker can derive for it from everything published (all totals,
non-negativity, integrality, multiples of 5 for CBS-rounded input) must be at
least ``P(cell) = max(threshold, ceil(protection_pct / 100 * value))`` wide
(default ``protection_pct`` is :data:`DEFAULT_PROTECTION_PCT`). The attacker is
assumed *not* to know why a cell is hidden (that is never published), and the
rule is also kept when that leaks: then a primary cell's range still covers
every value below the threshold and a secondary cell's range is still at least
``P`` wide. Secondary cells are chosen at the least loss of information,
counted as the total hidden value; see :mod:`layers._protection`, which
computes the attacker's ranges exactly (the equations form a tree).

A replaced dataset whose earlier version was published can be protected
together with it (``previous=``): unchanged cells hidden before stay hidden,
unchanged cells visible before are known to the attacker and never serve as a
partner, and what the earlier version reveals about a cell narrows its range.

Published output never says why a cell is hidden. The log keeps ``reason``
and ``rule`` for internal use; :func:`public_log`, :func:`describe_nl` and
:func:`suppression_notes_nl` give the view that may be shown or exported.

Missing values (NaN) in the input: a missing cell without children (a buurt)
counts as *known*, as if it were zero in its parent's sum, so it never protects
a sibling. A missing parent (a wijk or gemeente whose total was not given) is
an unknown of the system once one of its children is unknown, because its true
value still links its children to the level above. A parent whose children are
all missing (and link nothing further down) gives no equation; it then acts as
a leaf itself.

Rates and percentages (``rate_columns``) are hidden when their numerator or
denominator is below its threshold, when the numerator or denominator cell is
hidden (a rate and its denominator would reveal the numerator), or when the
numerator or denominator is missing (the rate cannot be checked). Numerators
are always protected as counts.

CBS's published KWB values are not passed through this module: CBS has
applied its own rules (secret values arrive as missing, small counts are
rounded) and those values are public already.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from layers._disclosure_public import (
    DEFAULT_PROTECTION_PCT,
    DEFAULT_THRESHOLD,
    HIDDEN_EXPLANATION_NL,
    HIDDEN_NL,
    PUBLIC_LOG_COLUMNS,
    describe_nl,
    public_log,
    suppression_notes_nl,
)
from layers._protection import Prior, complete

__all__ = [
    "DEFAULT_PROTECTION_PCT",
    "DEFAULT_THRESHOLD",
    "HIDDEN_NL",
    "LOG_COLUMNS",
    "PUBLIC_LOG_COLUMNS",
    "PreviousVersion",
    "SuppressionResult",
    "describe_nl",
    "public_log",
    "suppress",
    "suppress_levels",
    "suppression_notes_nl",
]

#: Columns of :attr:`SuppressionResult.log` (internal: ``reason`` and ``rule`` are never
#: to be shown or exported; use :func:`public_log`).
LOG_COLUMNS: tuple[str, ...] = (
    "code",
    "level",
    "column",
    "reason",
    "rule",
    "threshold",
    "explanation_nl",
)

_DEFAULT_HIERARCHY: tuple[str, ...] = ("buurt", "wijk", "gemeente")


@dataclass(frozen=True)
class SuppressionResult:
    """The protected frame and what was hidden.

    Attributes
    ----------
    frame
        A copy of the input in which every suppressed cell is NaN (suppressed
        columns become float).
    log
        One row per suppressed cell with the columns in :data:`LOG_COLUMNS`:
        ``reason`` is ``"primary"`` or ``"secondary"``, ``rule`` says which
        rule applied, ``threshold`` the threshold involved (NaN for the
        complementary rule). These three are internal: published output uses
        :func:`public_log`. ``explanation_nl`` is the same generic Dutch
        sentence for every cell.
    mask
        Boolean frame aligned to ``frame`` (same index) with one column per
        protected column: True where the cell was suppressed. Use it to tell a
        suppressed cell from a value that was missing to begin with.
    """

    frame: pd.DataFrame
    log: pd.DataFrame
    mask: pd.DataFrame

    @property
    def n_primary(self) -> int:
        """Number of primary suppressions."""
        return int((self.log["reason"] == "primary").sum())

    @property
    def n_secondary(self) -> int:
        """Number of secondary suppressions."""
        return int((self.log["reason"] == "secondary").sum())


@dataclass(frozen=True)
class PreviousVersion:
    """The earlier published version of a dataset that is being replaced.

    Attributes
    ----------
    frame
        The input frame of the earlier version (true values, same schema).
    result
        What :func:`suppress` returned for it (and what was published).
    """

    frame: pd.DataFrame
    result: SuppressionResult


def suppress(
    frame: pd.DataFrame,
    *,
    count_columns: Sequence[str] = (),
    rate_columns: Mapping[str, tuple[str, str]] | None = None,
    threshold: int = DEFAULT_THRESHOLD,
    denominator_threshold: int | None = None,
    hierarchy: Sequence[str] = _DEFAULT_HIERARCHY,
    protection_pct: float = DEFAULT_PROTECTION_PCT,
    previous: PreviousVersion | None = None,
) -> SuppressionResult:
    """Hide small counts and every cell that would let them be recovered.

    Parameters
    ----------
    frame
        Rows of one or more levels with at least ``code`` and ``level``, and
        for every level above the lowest present a ``<level>code`` column
        linking a row to its parent (the area frame schema has these). It is
        not modified.
    count_columns
        Additive count columns to protect (e.g. ``wmo_clients``).
    rate_columns
        ``{rate_column: (numerator_column, denominator_column)}``. Numerators
        are protected as counts as well.
    threshold
        Smallest count that may be published; counts below it are hidden.
    denominator_threshold
        Smallest denominator for which a rate may be published; defaults to
        ``threshold``.
    hierarchy
        Level names from smallest to largest.
    protection_pct
        Percentage of a hidden cell's value that its attacker range must be
        wide at least, when that is more than ``threshold``.
    previous
        The earlier published version of the same dataset, if any; both
        versions together must not give a cell away.

    Returns
    -------
    SuppressionResult

    Raises
    ------
    ValueError
        On a missing column, a duplicate code, a negative count or a bad
        threshold.
    """
    rate_columns = dict(rate_columns or {})
    den_threshold = threshold if denominator_threshold is None else denominator_threshold
    for name, value in (("threshold", threshold), ("denominator_threshold", den_threshold)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if not 0 <= protection_pct <= 100:
        raise ValueError(f"protection_pct must be within 0..100, got {protection_pct!r}")
    counts = list(dict.fromkeys([*count_columns, *(num for num, _ in rate_columns.values())]))
    _check_columns(frame, counts, rate_columns, hierarchy)

    parent = _parent_positions(frame, hierarchy)
    out = frame.copy()
    masks: dict[str, np.ndarray] = {}
    records: list[tuple[int, str, str, str, float]] = []  # (pos, column, reason, rule, threshold)

    for column in counts:
        values = pd.to_numeric(frame[column], errors="raise").to_numpy(dtype="float64")
        if np.any(values < 0):
            raise ValueError(f"column {column!r} has negative counts; counts must be >= 0")
        primary = ~np.isnan(values) & (values < threshold)
        prior, known = _prior(previous, frame, column, values, parent)
        hidden = complete(
            known, primary, parent, threshold=threshold, pct=protection_pct, prior=prior
        )
        masks[column] = hidden
        records += [
            (int(i), column, "primary", "count_below_threshold", threshold)
            for i in np.flatnonzero(primary)
        ]
        records += [
            (int(i), column, "secondary", "complementary", np.nan)
            for i in np.flatnonzero(hidden & ~primary)
        ]

    for rate, (num_col, den_col) in rate_columns.items():
        rate_values = pd.to_numeric(frame[rate], errors="raise").to_numpy(dtype="float64")
        num = pd.to_numeric(frame[num_col], errors="raise").to_numpy(dtype="float64")
        den = pd.to_numeric(frame[den_col], errors="raise").to_numpy(dtype="float64")
        present = ~np.isnan(rate_values)
        rules = (
            ("numerator_below_threshold", "primary", num < threshold, threshold),
            ("denominator_below_threshold", "primary", den < den_threshold, den_threshold),
            ("numerator_suppressed", "secondary", masks[num_col], np.nan),
            (
                "denominator_suppressed",
                "secondary",
                masks.get(den_col, np.zeros(len(frame), dtype=bool)),
                np.nan,
            ),
            ("input_missing", "primary", np.isnan(num) | np.isnan(den), np.nan),
        )
        hidden = np.zeros(len(frame), dtype=bool)
        for rule, reason, condition, limit in rules:
            new = present & condition & ~hidden
            records += [(int(i), rate, reason, rule, limit) for i in np.flatnonzero(new)]
            hidden |= new
        masks[rate] = hidden | masks.get(rate, np.zeros(len(frame), dtype=bool))

    for column, hidden in masks.items():
        values = pd.to_numeric(out[column], errors="raise").astype("float64")
        out[column] = values.mask(hidden)
    mask = pd.DataFrame(masks, index=frame.index, columns=list(masks))
    return SuppressionResult(frame=out, log=_build_log(frame, records, hierarchy), mask=mask)


def suppress_levels(
    frames: Mapping[str, pd.DataFrame],
    **options,
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Run :func:`suppress` on separate frames per level, e.g. ``IngestResult.frames``.

    Parameters
    ----------
    frames
        ``{level: frame}``; the frames are combined for the hierarchy, then split.
    **options
        Keyword options of :func:`suppress`.

    Returns
    -------
    tuple
        ``({level: protected frame}, log)``.
    """
    parts = {
        level: f.assign(level=level) if "level" not in f.columns else f
        for level, f in frames.items()
    }
    keys = list(parts)
    combined = pd.concat(
        [parts[k].reset_index(drop=True) for k in keys], keys=keys, names=["_part", "_row"]
    )
    result = suppress(combined, **options)
    protected = {}
    for key in keys:
        piece = result.frame.xs(key, level="_part")
        out = frames[key].copy()  # keeps each level's own dtypes and geometry
        for column in result.mask.columns:
            out[column] = piece[column].to_numpy()
        protected[key] = out
    return protected, result.log


# -- internals -----------------------------------------------------------------


def _check_columns(
    frame: pd.DataFrame,
    counts: Sequence[str],
    rates: Mapping[str, tuple[str, str]],
    hierarchy: Sequence[str],
) -> None:
    needed = ["code", "level", *counts]
    for rate, (num, den) in rates.items():
        needed += [rate, num, den]
    present_levels = set(frame["level"].unique()) if "level" in frame.columns else set()
    unknown = present_levels - set(hierarchy)
    if unknown:
        raise ValueError(f"levels {sorted(unknown)} are not in the hierarchy {tuple(hierarchy)}")
    used = [i for i, level in enumerate(hierarchy) if level in present_levels]
    if used:
        needed += [f"{level}code" for level in hierarchy[used[0] + 1 : used[-1] + 1]]
    missing = [c for c in dict.fromkeys(needed) if c not in frame.columns]
    if missing:
        raise ValueError(f"frame lacks column(s) {missing} needed for disclosure control")
    if frame["code"].duplicated().any():
        dupes = frame.loc[frame["code"].duplicated(), "code"].unique()[:5].tolist()
        raise ValueError(f"codes must be unique across levels; duplicated: {dupes}")


def _parent_positions(frame: pd.DataFrame, hierarchy: Sequence[str]) -> np.ndarray:
    """Position of each row's parent row, or -1 for a row without one."""
    levels = frame["level"].to_numpy()
    codes = frame["code"].astype(str).tolist()
    parent = np.full(len(frame), -1, dtype=np.int64)
    by_level: dict[str, dict[str, int]] = {level: {} for level in hierarchy}
    for pos, (code, level) in enumerate(zip(codes, levels, strict=True)):
        by_level[level][code] = pos
    for i, level in enumerate(hierarchy):
        rows = np.flatnonzero(levels == level)
        for upper in hierarchy[i + 1 :]:
            lookup = by_level[upper]
            if len(rows) == 0 or not lookup:
                continue
            keys = frame[f"{upper}code"].to_numpy()[rows]
            found = np.fromiter(
                (lookup.get(k, -1) if isinstance(k, str) else -1 for k in keys),
                dtype=np.int64,
                count=len(rows),
            )
            parent[rows[found >= 0]] = found[found >= 0]
            rows = rows[found < 0]
    return parent


def _sums(values: np.ndarray, parent: np.ndarray) -> np.ndarray:
    """Each cell's value; for a missing one the sum of its children's (a missing leaf is 0)."""
    depth = np.zeros(len(values), dtype=np.int64)
    for _ in range(len(values)):
        up = np.where(parent >= 0, depth[np.maximum(parent, 0)] + 1, 0)
        if np.array_equal(up, depth):
            break
        depth = up
    out = np.nan_to_num(values)
    child = parent >= 0
    for level in range(int(depth.max(initial=0)), 0, -1):
        at = child & (depth == level)
        below = np.bincount(parent[at], weights=out[at], minlength=len(values))
        has = np.bincount(parent[at], minlength=len(values)) > 0
        out = np.where(np.isnan(values) & has, below, out)
    return out


def _prior(
    previous: PreviousVersion | None,
    frame: pd.DataFrame,
    column: str,
    values: np.ndarray,
    parent: np.ndarray,
) -> tuple[Prior | None, np.ndarray]:
    """Which cells stay hidden, and which are known already, after an earlier version.

    Also the values the protection is checked on: a total missing in both versions whose
    sum did not change (or whose earlier sum is unknown) counts as known. An attacker who
    knows it from elsewhere, or only that it did not change, otherwise recovers a changed
    cell from the difference of the two versions' visible cells.
    """
    if previous is None or column not in previous.result.mask.columns:
        return None, values
    old = previous.frame
    old_values = pd.to_numeric(old[column], errors="raise").to_numpy(dtype="float64")
    old_hidden = previous.result.mask[column].to_numpy(dtype=bool)
    position = pd.Series(np.arange(len(old)), index=old["code"].astype(str).to_numpy())
    at = position.reindex(frame["code"].astype(str).to_numpy()).to_numpy()
    both = ~np.isnan(at)
    j = np.where(both, at, 0).astype(np.int64)
    level = old["level"].to_numpy()[j] == frame["level"].to_numpy()
    same = both & (old_values[j] == values) & level  # never for an unknown (missing) value
    # A cell hidden before stays hidden even when it changed: publishing its new value
    # would tell the sum of the unchanged hidden cells next to it, and with that the old one.
    # The published version has no value for a hidden cell: whether it changed is unknown,
    # so it is checked both ways (see layers._protection.complete).
    forced = both & old_hidden[j]
    # the earlier values on this version's tree (a stored version keeps only code and level)
    old_here = np.where(both & level, old_values[j], np.nan)
    old_sums = _sums(old_here, parent)
    new_sums = _sums(values, parent)
    has_children = np.bincount(parent[parent >= 0], minlength=len(values)) > 0
    # the earlier sum is unknown when a hidden cell without its value (only the published
    # version is kept) sits under it: then assume it unchanged
    lost = both & old_hidden[j] & np.isnan(old_values[j])
    old_unknown = _hides_below(lost, parent)
    known_total = (
        both
        & level
        & np.isnan(values)
        & np.isnan(old_values[j])
        & has_children
        & (old_unknown | (old_sums == new_sums))
    )
    prior = Prior(
        forced=forced,
        shared=same & old_hidden[j],
        blocked=(same & ~old_hidden[j]) | known_total,
        unsure=forced & np.isnan(old_values[j]) & ~np.isnan(values),
    )
    return prior, np.where(known_total, new_sums, values)


def _hides_below(hidden: np.ndarray, parent: np.ndarray) -> np.ndarray:
    """Per cell: whether a hidden cell lies somewhere below it."""
    out = np.zeros(len(hidden), dtype=bool)
    cells = np.flatnonzero(hidden)
    for _ in range(len(hidden)):
        cells = parent[cells]
        cells = cells[cells >= 0]
        if not len(cells) or out[cells].all():
            break
        out[cells] = True
    return out


def _build_log(
    frame: pd.DataFrame,
    records: list[tuple[int, str, str, str, float]],
    hierarchy: Sequence[str],
) -> pd.DataFrame:
    if not records:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in LOG_COLUMNS}).astype(
            {"threshold": "float64"}
        )
    rank = {level: i for i, level in enumerate(hierarchy)}
    codes = frame["code"].to_numpy()
    levels = frame["level"].to_numpy()
    rows = sorted(
        (
            (rank[levels[p]], str(codes[p]), col, codes[p], levels[p], reason, rule, limit)
            for p, col, reason, rule, limit in records
        ),
        key=lambda r: r[:3],
    )
    explanations = [HIDDEN_EXPLANATION_NL] * len(rows)
    _, _, column, code, level, reason, rule, limit = zip(*rows, strict=True)
    return pd.DataFrame(
        {
            "code": list(code),
            "level": list(level),
            "column": list(column),
            "reason": list(reason),
            "rule": list(rule),
            "threshold": np.asarray(limit, dtype="float64"),
            "explanation_nl": explanations,
        }
    )
