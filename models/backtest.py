"""An honest backtest of the oplopend flag: does it foresee which wijken become high.

For a year ``T`` the flag is computed on the years ``T - history + 1`` … ``T`` only. A wijk
is *high* on a theme in a year when its rate is in the top fifth (percentile rank ≥ 0.8)
of its gemeente's wijken that year (gemeenten with at least ``min_areas`` wijken with a
value). The flag is then scored against "high in ``T + h``" and compared with two
baselines:

- **already high now**: predict the wijken that are high in ``T``;
- **random**: as many wijken as the flag picks, drawn at random (seeded, averaged).

Only wijken with a trend (comparable, see :mod:`models.trends`), a value in ``T`` and in
``T + h``, and unchanged boundaries between ``T`` and ``T + h`` are scored. Because "already
high now" wins by persistence alone, the table also scores the *newly* high: among wijken
not high in ``T``, which become high in ``T + h``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from models.trends import TrendRule, annual_values, compute_trends

__all__ = ["BACKTEST_COLUMNS", "high_in_gemeente", "backtest", "summarise"]

#: Columns of the backtest table.
BACKTEST_COLUMNS: tuple[str, ...] = (
    "theme",
    "as_of",
    "horizon",
    "target",
    "method",
    "n_areas",
    "n_high",
    "n_flagged",
    "true_positives",
    "precision",
    "recall",
)


def high_in_gemeente(values: pd.DataFrame, *, min_areas: int = 5) -> pd.Series:
    """True where a wijk's value is in the top fifth of its gemeente's wijken that year.

    Parameters
    ----------
    values
        Columns ``code``, ``gemeentecode``, ``year``, ``value`` (wijken only).
    min_areas
        Gemeenten with fewer wijken with a value get no "high" (missing).

    Returns
    -------
    pandas.Series
        Boolean (``boolean`` dtype), aligned to ``values``.
    """
    valid = values["value"].notna()
    groups = values[valid].groupby(["gemeentecode", "year"])["value"]
    rank = groups.rank(pct=True, method="max")
    size = groups.transform("size")
    high = pd.Series(pd.NA, index=values.index, dtype="boolean")
    keep = size >= min_areas
    high.loc[rank.index[keep]] = (rank[keep] > 0.8).to_numpy()
    return high


def _score(predicted: np.ndarray, actual: np.ndarray) -> tuple[int, int, float, float]:
    tp = int((predicted & actual).sum())
    n_pred, n_true = int(predicted.sum()), int(actual.sum())
    precision = tp / n_pred if n_pred else np.nan
    recall = tp / n_true if n_true else np.nan
    return n_pred, tp, precision, recall


def backtest(
    rows: pd.DataFrame,
    *,
    as_of: Sequence[int],
    horizons: Sequence[int] = (2, 3),
    history: int = 4,
    counts: Mapping[str, str],
    rates: Mapping[str, str],
    rule: TrendRule | None = None,
    mergers: Mapping[str, tuple[int, str]] | None = None,
    breaks: Mapping[str, int] | None = None,
    min_areas: int = 5,
    seed: int = 0,
    draws: int = 200,
) -> pd.DataFrame:
    """Precision and recall of the flag and both baselines, per theme, ``T`` and horizon.

    Parameters
    ----------
    rows
        Long series frame of :mod:`cbs_ingest.series` (wijken and gemeenten).
    as_of
        The years ``T`` to flag on.
    horizons
        Years ahead to check (``T + h`` must be in the data).
    history
        Years of data the flag sees (``T - history + 1`` … ``T``).
    counts, rates
        ``{theme: indicator}``: the count the rule tests, and the rate that defines
        "high" (themes without a rate are skipped).
    rule, mergers, breaks
        Passed to :func:`models.trends.compute_trends`.
    min_areas
        See :func:`high_in_gemeente`.
    seed, draws
        The random baseline: seed and number of draws averaged.

    Returns
    -------
    pandas.DataFrame
        :data:`BACKTEST_COLUMNS`; ``target`` is ``high`` (all scored wijken) or
        ``newly_high`` (wijken not high in ``T``).
    """
    rng = np.random.default_rng(seed)
    last_year = int(rows["year"].max())
    out: list[dict] = []
    for theme, rate in rates.items():
        series = rows[(rows["theme"] == theme) & (rows["level"] != "buurt")]
        if series.empty:
            continue
        years = sorted(series["year"].unique())
        annual = annual_values(series, first=years[0], last=years[-1])
        wijk_rates = annual[(annual["indicator"] == rate) & (annual["level"] == "wijk")].copy()
        wijk_rates["high"] = high_in_gemeente(wijk_rates, min_areas=min_areas)
        high = wijk_rates.set_index(["code", "year"])["high"]
        changed = annual[annual["boundary_change"].isin([2.0, 3.0])]
        for t in as_of:
            first = t - history + 1
            if first < years[0] or t > years[-1]:
                continue
            trends = compute_trends(
                series[series["year"] <= t],
                first=first,
                last=t,
                counts={theme: counts[theme]},
                rates={theme: rate},
                rule=rule,
                mergers=mergers,
                breaks=breaks,
            ).trends
            trends = trends[(trends["indicator"] == counts[theme]) & (trends["level"] == "wijk")]
            trends = trends[trends["comparable"]]
            for h in horizons:
                if t + h > last_year:
                    continue
                moved = set(changed.loc[changed["year"].between(t + 1, t + h), "code"])
                codes = trends["code"].to_numpy()
                now = high.reindex(pd.MultiIndex.from_arrays([codes, np.full(len(codes), t)]))
                later = high.reindex(pd.MultiIndex.from_arrays([codes, np.full(len(codes), t + h)]))
                keep = now.notna().to_numpy() & later.notna().to_numpy()
                keep &= ~np.isin(codes, list(moved))
                flag = trends["trend_flag"].fillna(False).to_numpy(dtype=bool)[keep]
                now_high = now.to_numpy()[keep].astype(bool)
                later_high = later.to_numpy()[keep].astype(bool)
                for target, subset in (
                    ("high", np.ones(len(flag), bool)),
                    ("newly_high", ~now_high),
                ):
                    actual = later_high[subset]
                    base = {
                        "theme": theme,
                        "as_of": t,
                        "horizon": h,
                        "target": target,
                        "n_areas": int(subset.sum()),
                        "n_high": int(actual.sum()),
                    }
                    methods = {"oplopend": flag[subset]}
                    if target == "high":
                        methods["already_high_now"] = now_high[subset]
                    for method, predicted in methods.items():
                        n_pred, tp, precision, recall = _score(predicted, actual)
                        out.append(
                            base
                            | {"method": method, "n_flagged": n_pred, "true_positives": tp}
                            | {"precision": precision, "recall": recall}
                        )
                    out.append(base | _random(rng, actual, int(flag[subset].sum()), draws))
    return pd.DataFrame(out, columns=list(BACKTEST_COLUMNS))


def _random(rng: np.random.Generator, actual: np.ndarray, k: int, draws: int) -> dict:
    """Mean precision and recall of ``k`` wijken drawn at random, over ``draws`` draws."""
    n = len(actual)
    if k == 0 or n == 0:
        return {"method": "random", "n_flagged": k, "true_positives": 0}
    scores = []
    for _ in range(draws):
        picked = np.zeros(n, bool)
        picked[rng.choice(n, size=min(k, n), replace=False)] = True
        scores.append(_score(picked, actual))
    tp, precision, recall = (float(np.nanmean([s[i] for s in scores])) for i in (1, 2, 3))
    return {
        "method": "random",
        "n_flagged": k,
        "true_positives": tp,
        "precision": precision,
        "recall": recall,
    }


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """Pool a :func:`backtest` table over themes and years.

    Precision (true positives over flagged) and recall (over high) per target, horizon
    and method.
    """
    pooled = table.groupby(["target", "horizon", "method"], sort=True)[
        ["n_areas", "n_high", "n_flagged", "true_positives"]
    ].sum()
    pooled["precision"] = pooled["true_positives"] / pooled["n_flagged"].where(
        pooled["n_flagged"] > 0
    )
    pooled["recall"] = pooled["true_positives"] / pooled["n_high"].where(pooled["n_high"] > 0)
    return pooled.reset_index()
