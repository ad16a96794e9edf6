"""Stacking scores: where several problems come together.

Three transparent scores are computed side by side, all "higher = more need":

* ``stacking_score``: the mean of the themes' z-scores (each clipped to
  ``[-clip, clip]`` so one extreme value cannot dominate);
* ``mean_percentile``: the mean of the themes' percentile ranks (0-100);
* ``themes_high``: the number of themes that pass their threshold.

z-scores and percentiles are computed within a *comparison scope*: per group
(e.g. per gemeente), over all areas given, or against a separate reference set
(e.g. all wijken of the country). Percentile ranks use mid-ranks for ties, so
the result does not depend on row order. An area with fewer than
``min_indicators`` available themes gets no score (NaN) and is never flagged;
``n_indicators`` says on how many themes each score rests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from layers.profiles import Threshold

__all__ = ["StackingResult", "stacking_scores"]


@dataclass(frozen=True)
class StackingResult:
    """Scores per area, aligned to the input index.

    Attributes
    ----------
    table
        ``stacking_score``, ``stacking_percentile``, ``mean_percentile``,
        ``themes_high``, ``n_indicators``, ``stacking_flag``.
    z
        Directed, clipped z-score per theme.
    percentile
        Directed percentile rank (0-100) per theme.
    high
        Whether each theme passes its threshold (False where missing).
    """

    table: pd.DataFrame
    z: pd.DataFrame
    percentile: pd.DataFrame
    high: pd.DataFrame


def _in_sample(directed: pd.DataFrame, groups: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    grouped = directed.groupby(groups, sort=False, dropna=False)
    mean = grouped.transform("mean")
    std = grouped.transform("std", ddof=0)
    z = (directed - mean) / std.where(std > 0)
    z = z.where(std > 0, 0.0).where(directed.notna())
    rank = grouped.rank(method="average")
    count = grouped.transform("count")
    pct = 100.0 * (rank - 0.5) / count
    return z, pct


def _against(directed: pd.DataFrame, reference: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    z = pd.DataFrame(index=directed.index, columns=directed.columns, dtype=float)
    pct = z.copy()
    for column in directed.columns:
        ref = reference[column].to_numpy(dtype=float)
        ref = np.sort(ref[np.isfinite(ref)])
        x = directed[column].to_numpy(dtype=float)
        if ref.size == 0:
            continue
        std = ref.std()
        z[column] = (x - ref.mean()) / std if std > 0 else np.where(np.isfinite(x), 0.0, np.nan)
        below = np.searchsorted(ref, x, side="left")
        upto = np.searchsorted(ref, x, side="right")
        pct[column] = np.where(np.isfinite(x), 100.0 * (below + upto) / 2.0 / ref.size, np.nan)
    return z, pct


def _score(z: pd.DataFrame, min_indicators: int) -> tuple[pd.Series, pd.Series]:
    n = z.notna().sum(axis=1)
    score = z.mean(axis=1, skipna=True).where(n >= min_indicators)
    return score, n


def stacking_scores(
    values: pd.DataFrame,
    *,
    directions: Mapping[str, int] | None = None,
    thresholds: Mapping[str, Threshold] | None = None,
    groups: pd.Series | None = None,
    reference: pd.DataFrame | None = None,
    min_indicators: int = 1,
    flag_min_themes: int = 1,
    clip: float = 3.0,
) -> StackingResult:
    """Compute stacking scores for areas.

    Parameters
    ----------
    values
        One numeric column per theme (the indicator value in its own unit),
        one row per area. Not modified.
    directions
        ``+1``/``-1`` per column (default ``+1``): ``-1`` when a lower value means more need.
    thresholds
        Threshold per column (default: 80th percentile).
    groups
        Comparison scope: a label per area (e.g. gemeentecode), aligned to
        ``values``; scores are relative to the area's group. ``None``: one group.
    reference
        Reference areas with the same columns (e.g. all wijken of the
        country); when given, z-scores and percentiles are relative to these
        instead of to ``values`` and ``groups`` is ignored.
    min_indicators
        Minimum number of available themes for a score.
    flag_min_themes
        Minimum number of high themes for ``stacking_flag``.
    clip
        z-scores are clipped to ``[-clip, clip]``; ``0`` or less: no clipping.

    Returns
    -------
    StackingResult
    """
    columns = list(values.columns)
    directions = {c: int((directions or {}).get(c, 1)) for c in columns}
    thresholds = {c: (thresholds or {}).get(c, Threshold()) for c in columns}
    sign = pd.Series(directions, dtype=float)
    raw = values.apply(pd.to_numeric, errors="coerce").astype(float)
    directed = raw * sign
    if reference is not None:
        missing = [c for c in columns if c not in reference.columns]
        if missing:
            raise ValueError(f"reference lacks column(s) {missing}")
        ref_directed = reference[columns].apply(pd.to_numeric, errors="coerce").astype(float) * sign
        z, pct = _against(directed, ref_directed)
        ref_z, _ = _against(ref_directed, ref_directed)
    else:
        if groups is None:
            groups = pd.Series(0, index=values.index)
        elif not groups.index.equals(values.index):
            raise ValueError("groups must be aligned to the index of values")
        z, pct = _in_sample(directed, groups)
    if clip and clip > 0:
        z = z.clip(-clip, clip)

    high = pd.DataFrame(False, index=values.index, columns=columns)
    for column in columns:
        threshold = thresholds[column]
        if threshold.kind == "percentile":
            high[column] = pct[column] >= threshold.value
        elif directions[column] > 0:
            high[column] = raw[column] >= threshold.value
        else:
            high[column] = raw[column] <= threshold.value
    high = high & raw.notna()

    score, n = _score(z, min_indicators)
    if reference is not None:
        if clip and clip > 0:
            ref_z = ref_z.clip(-clip, clip)
        ref_score, _ = _score(ref_z, min_indicators)
        _, score_pct = _against(score.to_frame("s"), ref_score.to_frame("s"))
        stacking_pct = score_pct["s"]
    else:
        stacking_pct = _in_sample(score.to_frame("s"), groups)[1]["s"]
    has_score = score.notna()
    themes_high = high.sum(axis=1).astype(int)
    table = pd.DataFrame(
        {
            "stacking_score": score,
            "stacking_percentile": stacking_pct.where(has_score),
            "mean_percentile": pct.mean(axis=1).where(has_score),
            "themes_high": themes_high,
            "n_indicators": n.astype(int),
            "stacking_flag": has_score & (themes_high >= flag_min_themes),
        },
        index=values.index,
    )
    return StackingResult(table=table, z=z, percentile=pct, high=high)
