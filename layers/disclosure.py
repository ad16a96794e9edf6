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
The rule enforced per count column is: *no equation contains exactly one
hidden cell*, and no published total has only zeros among its hidden children
(non-negative counts summing to a known zero would all be zero). Because the
equations form a tree, this rule also protects against combining several
published totals: every hidden cell can be moved by a small amount along a
path of other hidden cells without changing any
published value (see ``docs/trust.md``).

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

__all__ = [
    "DEFAULT_THRESHOLD",
    "LOG_COLUMNS",
    "SuppressionResult",
    "describe_nl",
    "suppress",
    "suppress_levels",
    "suppression_notes_nl",
]

#: Default minimum count that may be published.
DEFAULT_THRESHOLD = 10

#: Columns of :attr:`SuppressionResult.log`.
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

_RULE_TEXT_NL: dict[str, str] = {
    "count_below_threshold": "aantal kleiner dan {t}",
    "complementary": "aanvullend afgeschermd, zodat een afgeschermd getal niet uit totalen "
    "terug te rekenen is",
    "numerator_below_threshold": "teller kleiner dan {t}",
    "denominator_below_threshold": "noemer kleiner dan {t}",
    "numerator_suppressed": "teller is afgeschermd",
    "denominator_suppressed": "noemer is afgeschermd",
    "input_missing": "teller of noemer ontbreekt, dus niet te controleren",
}


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
        complementary rule) and ``explanation_nl`` a Dutch sentence for display.
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


def suppress(
    frame: pd.DataFrame,
    *,
    count_columns: Sequence[str] = (),
    rate_columns: Mapping[str, tuple[str, str]] | None = None,
    threshold: int = DEFAULT_THRESHOLD,
    denominator_threshold: int | None = None,
    hierarchy: Sequence[str] = _DEFAULT_HIERARCHY,
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
        hidden = _complete(values, primary, parent)
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


def describe_nl(*, threshold: int = DEFAULT_THRESHOLD, log: pd.DataFrame | None = None) -> str:
    """A Dutch statement of the disclosure rules, for exports and the about page.

    Parameters
    ----------
    threshold
        The threshold in force.
    log
        :attr:`SuppressionResult.log` of the data shown; when given, the
        numbers of suppressed cells are added.

    Returns
    -------
    str
        Plain text.
    """
    text = (
        f"Eigen cijfers van de gemeente: aantallen kleiner dan {threshold} zijn afgeschermd "
        "(primair), en zo nodig ook andere cellen (secundair), zodat een afgeschermd getal niet "
        "terug te rekenen is uit de totalen van buurt, wijk en gemeente. Percentages zijn "
        "afgeschermd als hun teller of noemer is afgeschermd of te klein is. Cijfers van het CBS "
        "volgen de geheimhoudingsregels van het CBS: geheime of nog niet gepubliceerde waarden "
        "ontbreken en afgeronde aantallen blijven afgerond."
    )
    if log is not None and len(log):
        n_primary = int((log["reason"] == "primary").sum())
        n_secondary = int((log["reason"] == "secondary").sum())
        text += (
            f" In deze gegevens: {n_primary} cel(len) primair en {n_secondary} secundair "
            "afgeschermd."
        )
    return text


def suppression_notes_nl(log: pd.DataFrame, code: str) -> list[str]:
    """Dutch lines explaining which cells of one area were hidden and why.

    Parameters
    ----------
    log
        :attr:`SuppressionResult.log`.
    code
        Area code.

    Returns
    -------
    list of str
        ``"<column>: <explanation>"`` per hidden cell, plain text (escape
        before putting it in HTML).
    """
    rows = log.loc[log["code"] == code]
    return [f"{r.column}: {r.explanation_nl}" for r in rows.itertuples(index=False)]


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


def _complete(values: np.ndarray, primary: np.ndarray, parent: np.ndarray) -> np.ndarray:
    """Add complementary suppressions until no equation gives a hidden cell away.

    An equation gives a cell away when it has exactly one unknown, or when its
    total is published and its hidden children are all zero (non-negative
    counts summing to a known zero).

    Unknown cells are the hidden ones plus missing parents that have an unknown
    child (nobody publishes them, so they are variables of the system too).
    Missing cells without an unknown child count as known.
    """
    n = len(values)
    missing = np.isnan(values)
    hidden = primary & ~missing
    child = np.flatnonzero(parent >= 0)
    par = parent[child]
    # A parent gives an equation when a child is present or itself gives one; a parent
    # whose children are all missing leaves (or such parents) gives none.
    equation = np.zeros(n, dtype=bool)
    while True:
        linked = np.bincount(par, weights=~missing[child] | equation[child], minlength=n) > 0
        if (linked == equation).all():
            break
        equation = linked
    keep = equation[par]
    child, par = child[keep], par[keep]
    if len(child) == 0:
        return hidden
    # Deterministic "smallest first" order of children: by value, then position.
    order = np.lexsort((child, np.where(missing[child], np.inf, values[child])))
    child, par = child[order], par[order]
    is_parent = np.bincount(par, minlength=n) > 0
    missing_parent = missing & is_parent
    visible_child = ~missing[child]
    while True:
        unknown = hidden.copy()
        while True:  # the hierarchy is shallow: this settles in a pass or two
            child_unknown = np.bincount(par, weights=unknown[child], minlength=n) > 0
            new = missing_parent & child_unknown & ~unknown
            if not new.any():
                break
            unknown |= new
        n_unknown = np.bincount(par, weights=unknown[child], minlength=n) + unknown
        # Hidden children of a published total that are all zero sum to a known zero, and
        # counts are never negative: that gives each of them away. Such a group needs a
        # positive partner, as does a group with a single unknown.
        hidden_sum = np.bincount(
            par, weights=np.where(hidden[child], values[child], 0.0), minlength=n
        )
        missing_unknown = np.bincount(par, weights=unknown[child] & missing[child], minlength=n)
        zero_sum = ~unknown & (n_unknown >= 1) & (hidden_sum == 0) & (missing_unknown == 0)
        lone = np.flatnonzero(is_parent & ((n_unknown == 1) | zero_sum))
        if len(lone) == 0:
            return hidden
        is_lone = np.zeros(n, dtype=bool)
        is_lone[lone] = True
        need_positive = is_lone & zero_sum
        visible = visible_child & ~hidden[child] & is_lone[par]
        preferred = visible & (~need_positive[par] | (values[child] > 0))
        # Candidates: smallest first (children are sorted); any visible one as a fallback.
        first = pd.Series(child[preferred]).groupby(par[preferred], sort=False).first()
        rest = visible & ~np.isin(par, first.index.to_numpy())
        fallback = pd.Series(child[rest]).groupby(par[rest], sort=False).first()
        before = int(hidden.sum())
        hidden[first.to_numpy()] = True
        hidden[fallback.to_numpy()] = True
        # A lone unknown child without any visible sibling: hide the parent itself.
        chosen = np.concatenate([first.index.to_numpy(), fallback.index.to_numpy()])
        no_candidate = np.setdiff1d(lone, chosen)
        hidden[no_candidate[~missing[no_candidate]]] = True
        if int(hidden.sum()) == before:  # cannot happen; guards against an endless loop
            raise RuntimeError("secondary suppression made no progress")


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
    texts: dict[tuple[str, str, float], str] = {}
    explanations = []
    for *_, reason, rule, limit in rows:
        key = (reason, rule, limit)
        if key not in texts:
            texts[key] = (
                ("Primair" if reason == "primary" else "Secundair")
                + " afgeschermd: "
                + _RULE_TEXT_NL[rule].format(t="" if np.isnan(limit) else int(limit))
            )
        explanations.append(texts[key])
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
