"""How sure a rank is: resampling the counts and the reasonable method choices.

Each of ``resamples`` draws changes two things at once and recomputes the
stacking analysis for every area:

* **the counts' noise**: every count behind an indicator (see
  :func:`models.reliability.count_basis`) gets its rounding error back
  (uniform within the CBS rounding step) and a Poisson draw (binomial for a
  percentage of a known total) around it;
* **one reasonable method variant**: the percentile threshold of "high"
  drawn uniformly from its value ± 5 (P75-P85 for the default P80); z-score or
  percentile aggregation (half of the draws each); every theme weight times a
  factor drawn from 0.75-1.25; and income counted twice (bijstand and armoede
  as two themes, as now) or once (each at half weight), half of the draws
  each, when the profile has both.

The weights and the aggregation change the stacking *score* (a weighted mean
of z-scores or of percentiles) and so its percentile. A stacking area stays
what the profile says: enough high themes, a count that has no weights; what
changes it in a draw is the noise, the threshold and income counted once
(bijstand and armoede then count as one high theme when either is high). Per
area the result is the 5-95 % interval of its stacking percentile over the
draws and its *stability*: the share of draws in which it is a stacking area.

Absolute thresholds (e.g. the Dordtse norm) keep their value; the reference
set of a national comparison is held fixed (its own noise averages out over
thousands of areas). Everything is seeded: the same input gives the same
result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from layers.profiles import Threshold
from models._ranks import Scope as _Scope
from models.reliability import CountBasis

__all__ = [
    "INCOME_THEMES",
    "STABILITY_CLASSES",
    "STABILITY_KEYS",
    "UncertaintyResult",
    "rank_uncertainty",
    "stability_class",
]

#: Draws computed at once (memory: a few float arrays of this many rows per area).
_CHUNK = 40

#: Theme keys that measure income; counted once or twice across the variants.
INCOME_THEMES: frozenset[str] = frozenset({"bijstand", "armoede"})

#: Stability classes (lower bound of the stability), for the map and the table.
STABILITY_CLASSES: tuple[tuple[str, float], ...] = (
    ("stable", 0.8),
    ("borderline", 0.2),
    ("rarely", 0.0),
)

#: The stability classes (their words in both languages: ``geo_app.session.i18n``,
#: ids ``stability_<class>``).
STABILITY_KEYS: tuple[str, ...] = (
    *(key for key, _ in STABILITY_CLASSES),
    "unknown",
    "not computed",
)


@dataclass(frozen=True)
class UncertaintyResult:
    """Rank intervals and stability per area, aligned to the input.

    Attributes
    ----------
    table
        ``stacking_percentile_lo``, ``stacking_percentile_hi`` (the interval
        of the stacking percentile over the draws), ``stacking_stability``
        (share of draws in which the area is a stacking area) and
        ``stability_class`` (a key of :data:`STABILITY_CLASSES`).
    variants
        The method choices of each draw: ``threshold_shift``, ``aggregation``,
        ``income_once`` and one ``weight_<theme>`` column per theme.
    resamples, seed, interval
        The settings used.
    """

    table: pd.DataFrame
    variants: pd.DataFrame
    resamples: int
    seed: int
    interval: tuple[float, float]


def _draw_values(
    raw: np.ndarray, basis: CountBasis | None, rng: np.random.Generator, b: int
) -> np.ndarray:
    """``(b, n)`` noisy values in the indicator's unit; NaN stays NaN."""
    if basis is None or basis.model == "none":
        return np.broadcast_to(raw, (b, raw.size)).copy()
    y = basis.count.to_numpy(dtype=float)
    e = basis.exposure.to_numpy(dtype=float)
    ok = np.isfinite(raw) & np.isfinite(y) & np.isfinite(e) & (e > 0)
    y, e = np.where(ok, y, 0.0), np.where(ok, e, 1.0)
    half = np.sqrt(3.0 * np.nan_to_num(basis.rounding_var.to_numpy(dtype=float)))
    unrounded = np.maximum(y + rng.uniform(-1.0, 1.0, (b, y.size)) * half, 0.0)
    if basis.model == "poisson":
        count = rng.poisson(unrounded).astype(float)
    else:
        n = np.maximum(np.rint(e), 1.0).astype(np.int64)
        count = rng.binomial(n, np.clip(unrounded / n, 0.0, 1.0)).astype(float) * (e / n)
    out = basis.scale * count / e
    # Without a usable count (e.g. an infinite exposure) the value is kept as it is.
    return np.where(ok, out, raw)


def stability_class(stability: pd.Series) -> pd.Series:
    """Class key of :data:`STABILITY_CLASSES` per stability (``"unknown"`` for NaN)."""
    x = stability.to_numpy(dtype=float)
    out = np.full(len(x), "unknown", dtype=object)
    for key, bound in reversed(STABILITY_CLASSES):
        out = np.where(np.isfinite(x) & (x >= bound), key, out)
    return pd.Series(out, index=stability.index, dtype=object)


def _variants(
    themes: Sequence[str], b: int, rng: np.random.Generator, income: set[str]
) -> pd.DataFrame:
    both = len(income) >= 2
    out = {
        "threshold_shift": rng.uniform(-5.0, 5.0, b),
        "aggregation": np.where(rng.random(b) < 0.5, "z", "percentile"),
        "income_once": (rng.random(b) < 0.5) & both,
    }
    for theme in themes:
        out[f"weight_{theme}"] = rng.uniform(0.75, 1.25, b)
    return pd.DataFrame(out)


def _take(basis: CountBasis, pos: np.ndarray) -> CountBasis:
    return CountBasis(
        basis.model,
        basis.count.iloc[pos],
        basis.exposure.iloc[pos],
        basis.scale,
        basis.rounding_var.iloc[pos],
    )


def _fixed_variants(themes: Sequence[str], b: int) -> pd.DataFrame:
    out = {
        "threshold_shift": np.zeros(b),
        "aggregation": np.full(b, "z"),
        "income_once": np.zeros(b, dtype=bool),
    }
    for theme in themes:
        out[f"weight_{theme}"] = np.ones(b)
    return pd.DataFrame(out)


def rank_uncertainty(
    values: pd.DataFrame,
    bases: Mapping[str, CountBasis | None],
    *,
    directions: Mapping[str, int] | None = None,
    thresholds: Mapping[str, Threshold] | None = None,
    groups: pd.Series | None = None,
    reference: pd.DataFrame | None = None,
    min_indicators: int = 1,
    flag_min_themes: int = 1,
    clip: float = 3.0,
    income_themes: frozenset[str] = INCOME_THEMES,
    noise: bool = True,
    methods: bool = True,
    smoothing: tuple[pd.DataFrame, pd.DataFrame] | None = None,
    resamples: int = 200,
    interval: tuple[float, float] = (5.0, 95.0),
    seed: int = 0,
    order: pd.Series | None = None,
) -> UncertaintyResult:
    """Interval of the stacking percentile and stability per area, by resampling.

    Parameters
    ----------
    values
        Theme values (one column per theme, in the indicator's unit) as used by
        :func:`models.stacking.stacking_scores`. Not modified.
    bases
        :class:`CountBasis` per theme column (``None`` or missing: no count noise).
    directions, thresholds, groups, reference, min_indicators, flag_min_themes, clip
        As in :func:`models.stacking.stacking_scores`.
    income_themes
        Theme keys counted once (each at half weight) in half of the draws.
    noise, methods
        Resample the counts' noise, the method variants, or both (default).
        With both off every draw is the analysis as configured.
    smoothing
        ``(shrinkage, level)`` per theme (from
        :class:`models.reliability.ReliabilityResult`) when ``values`` are
        smoothed: each draw is smoothed the same way before it is ranked.
    resamples
        Number of draws (at least 1).
    interval
        Lower and upper percentile of the interval.
    seed
        Seed of the random draws.
    order
        A unique key per area (e.g. the area code): the draws follow its order,
        so the result does not depend on the row order. Default: row order.

    Returns
    -------
    UncertaintyResult
    """
    if resamples < 1:
        raise ValueError("resamples must be at least 1")
    if order is not None:
        pos = np.argsort(order.astype(str).to_numpy(), kind="stable")
        back = np.empty_like(pos)
        back[pos] = np.arange(pos.size)
        result = rank_uncertainty(
            values.iloc[pos],
            {c: None if v is None else _take(v, pos) for c, v in bases.items()},
            directions=directions,
            thresholds=thresholds,
            groups=None if groups is None else groups.iloc[pos],
            reference=reference,
            min_indicators=min_indicators,
            flag_min_themes=flag_min_themes,
            clip=clip,
            income_themes=income_themes,
            noise=noise,
            methods=methods,
            smoothing=None if smoothing is None else tuple(f.iloc[pos] for f in smoothing),
            resamples=resamples,
            interval=interval,
            seed=seed,
        )
        table = result.table.iloc[back].set_axis(values.index)
        return UncertaintyResult(table, result.variants, resamples, seed, result.interval)
    lo_q, hi_q = interval
    if not 0 <= lo_q < hi_q <= 100:
        raise ValueError("interval must be two percentiles, lower first")
    columns = list(values.columns)
    directions = {c: int((directions or {}).get(c, 1)) for c in columns}
    thresholds = {c: (thresholds or {}).get(c, Threshold()) for c in columns}
    rng = np.random.default_rng(seed)
    b, n = resamples, len(values)
    raw = values.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    if reference is not None:
        scope = _Scope(None)
        ref = {c: reference[c].to_numpy(dtype=float) * directions[c] for c in columns}
    else:
        if groups is None:
            groups = pd.Series(0, index=values.index)
        elif not groups.index.equals(values.index):
            raise ValueError("groups must be aligned to the index of values")
        scope = _Scope(groups.to_numpy())
        ref = None
    income_cols = set(columns) & set(income_themes)
    variants = _variants(columns, b, rng, income_cols)
    if not methods:
        variants = _fixed_variants(columns, b)
    weight = np.column_stack([variants[f"weight_{c}"].to_numpy() for c in columns])
    once = variants["income_once"].to_numpy()
    for j, c in enumerate(columns):
        if c in income_themes:
            weight[:, j] = np.where(once, weight[:, j] / 2.0, weight[:, j])
    shift = variants["threshold_shift"].to_numpy()[:, None]

    n_avail = np.isfinite(raw).sum(axis=1)
    scored = n_avail >= min_indicators
    use_z = variants["aggregation"].to_numpy() == "z"
    ref_z, ref_p = [], []
    if ref is not None:
        for c in columns:
            rz = scope.z(ref[c][None, :], ref[c])
            ref_z.append(np.clip(rz, -clip, clip) if clip and clip > 0 else rz)
            ref_p.append(scope.pct(ref[c][None, :], ref[c]))

    def draws(rows: slice) -> tuple[np.ndarray, np.ndarray]:
        """Stacking percentile and flag of the draws ``rows``, each ``(len(rows), n)``."""
        m = len(range(*rows.indices(b)))
        w_rows, once_rows = weight[rows], once[rows][:, None]
        z_sum, p_sum, w_sum = np.zeros((m, n)), np.zeros((m, n)), np.zeros((m, n))
        high_n = np.zeros((m, n), dtype=np.int8)
        income_high = np.zeros((m, n), dtype=bool)
        for j, c in enumerate(columns):
            x = _draw_values(raw[:, j], bases.get(c) if noise else None, rng, m)
            if smoothing is not None and noise and c in smoothing[0]:
                # The draws are raw values: smooth them as the analysis did.
                shrink = smoothing[0][c].to_numpy(dtype=float)
                lvl = smoothing[1][c].to_numpy(dtype=float)
                x = np.where(np.isfinite(shrink), shrink * lvl + (1 - shrink) * x, x)
            directed = x * directions[c]
            r = None if ref is None else ref[c]
            z = scope.z(directed, r)
            if clip and clip > 0:
                z = np.clip(z, -clip, clip)
            p = scope.pct(directed, r)
            th = thresholds[c]
            if th.kind == "percentile":
                high = p >= np.clip(th.value + shift[rows], 0.0, 100.0)
            elif directions[c] > 0:
                high = x >= th.value
            else:
                high = x <= th.value
            has = np.isfinite(x)
            high &= has
            w = w_rows[:, j : j + 1] * has
            z_sum += np.where(has, z, 0.0) * w
            p_sum += np.where(has, p, 0.0) * w
            w_sum += w
            if c in income_cols:
                high_n += high & ~once_rows
                income_high |= high
            else:
                high_n += high
        with np.errstate(invalid="ignore", divide="ignore"):
            score = np.where(use_z[rows][:, None], z_sum, p_sum) / w_sum
        score = np.where(scored[None, :], score, np.nan)
        if ref is None:
            pct = scope.pct(score)
        else:
            pct = _against_reference_scores(
                score, ref_z, ref_p, w_rows, use_z[rows], scope, min_indicators
            )
        high_n += income_high & once_rows
        return pct, (high_n >= flag_min_themes) & scored[None, :]

    # Draws in chunks: the memory stays a few arrays of CHUNK x n.
    pct = np.empty((b, n))
    flagged = np.zeros(n)
    for first in range(0, b, _CHUNK):
        rows = slice(first, min(first + _CHUNK, b))
        pct[rows], flag = draws(rows)
        flagged += flag.sum(axis=0)

    lo = np.full(n, np.nan)
    hi = np.full(n, np.nan)
    if scored.any():
        lo[scored], hi[scored] = np.percentile(pct[:, scored], [lo_q, hi_q], axis=0)
    stability = pd.Series(np.where(scored, flagged / b, np.nan), index=values.index)
    table = pd.DataFrame(
        {
            "stacking_percentile_lo": np.where(scored, lo, np.nan),
            "stacking_percentile_hi": np.where(scored, hi, np.nan),
            "stacking_stability": stability,
            "stability_class": stability_class(stability),
        },
        index=values.index,
    )
    return UncertaintyResult(table, variants, resamples, seed, (float(lo_q), float(hi_q)))


def _against_reference_scores(
    score: np.ndarray,
    ref_z: list[np.ndarray],
    ref_p: list[np.ndarray],
    weight: np.ndarray,
    use_z: np.ndarray,
    scope: _Scope,
    min_indicators: int,
) -> np.ndarray:
    """Percentile of each draw's scores among the reference's scores under the same variant."""
    rz = np.vstack(ref_z)  # (k, n_ref)
    rp = np.vstack(ref_p)
    has = np.isfinite(rz)
    ok = has.sum(axis=0) >= min_indicators
    w = weight[:, :, None] * has[None, :, :]  # (b, k, n_ref)
    wsum = w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        zs = np.einsum("bkn,kn->bn", w, np.nan_to_num(rz)) / wsum
        ps = np.einsum("bkn,kn->bn", w, np.nan_to_num(rp)) / wsum
    ref_score = np.where(use_z[:, None], zs, ps)
    out = np.empty_like(score)
    for i in range(score.shape[0]):
        out[i] = scope.pct(score[i : i + 1], ref_score[i, ok])[0]
    return out
