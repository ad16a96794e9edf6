"""Typology: cluster areas on their indicators and describe each cluster in Dutch.

Areas with all selected indicators available are standardised (z-scores over
the clustered areas, in the direction of need, clipped to +-3 like the stacking
score) and clustered with k-means,
Ward's agglomerative clustering or a Gaussian mixture. Unless ``k`` is given,
it is chosen by the highest silhouette score over ``k_range``; the
Calinski-Harabasz and Davies-Bouldin scores (and BIC for the mixture) are
reported alongside. A cluster is labelled "hoge stapeling" when at least three
themes (or two, with a high overall mean) lie half a standard deviation or
more above the whole, "verhoogd" with one or two such themes, "weinig
opgaven" when the mean lies half a standard deviation or more below, and
"gemiddeld" otherwise; the high themes are named, highest first. Clusters are
numbered from 1 by descending mean z-score, so cluster 1 is the one where
most stacks up, whatever the random seed.
Areas with a missing indicator get no cluster (``<NA>``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

# scikit-learn is imported where it is used: importing it takes about a second,
# and the app draws its first map (stacking scores only) before clustering.

__all__ = ["METHODS", "Method", "TypologyResult", "cluster_areas", "NO_CLUSTER_LABEL"]

#: A clustering method (the keys of :data:`METHODS`).
Method = Literal["kmeans", "ward", "gmm"]

#: Clustering methods and their Dutch names.
METHODS: dict[Method, str] = {
    "kmeans": "k-means",
    "ward": "hiërarchisch (Ward)",
    "gmm": "Gaussian mixture",
}

#: Label of areas that could not be clustered.
NO_CLUSTER_LABEL = "onvoldoende gegevens"

_HIGH = 0.5  # a theme is "high" in a cluster when its mean z is at least this
_LOW = -0.5


@dataclass(frozen=True)
class TypologyResult:
    """Result of :func:`cluster_areas`.

    Attributes
    ----------
    labels
        Cluster number (1..k, nullable Int64) per area, aligned to the input index.
    label_nl
        Dutch profile label per cluster number.
    k
        Number of clusters.
    method
        ``kmeans``, ``ward`` or ``gmm``.
    profiles
        Mean z-score per cluster (rows) and indicator (columns), against the
        whole of the clustered areas, plus ``n_areas``.
    scores
        Per candidate k: ``silhouette``, ``calinski_harabasz``,
        ``davies_bouldin`` (and ``bic`` for ``gmm``).
    model
        The fitted scikit-learn estimator for the chosen k.
    scaler
        The fitted :class:`~sklearn.preprocessing.StandardScaler`.
    """

    labels: pd.Series
    label_nl: dict[int, str]
    k: int
    method: str
    profiles: pd.DataFrame
    scores: pd.DataFrame
    model: Any = field(repr=False)
    scaler: Any = field(repr=False)


def _fit(method: Method, k: int, x: np.ndarray, seed: int) -> tuple[np.ndarray, Any]:
    from sklearn.cluster import AgglomerativeClustering, KMeans
    from sklearn.mixture import GaussianMixture

    if method == "kmeans":
        model = KMeans(n_clusters=k, n_init=4, random_state=seed).fit(x)
        return model.labels_, model
    if method == "ward":
        model = AgglomerativeClustering(n_clusters=k, linkage="ward").fit(x)
        return model.labels_, model
    model = GaussianMixture(n_components=k, covariance_type="full", n_init=2, random_state=seed)
    labels = model.fit(x).predict(x)
    return labels, model


def _diagnostics(
    method: str, k: int, x: np.ndarray, labels: np.ndarray, model: Any, sample: int, seed: int
) -> dict[str, float]:
    from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

    row: dict[str, float] = {"k": k}
    if len(np.unique(labels)) > 1:
        row["silhouette"] = silhouette_score(x, labels, sample_size=sample, random_state=seed)
        row["calinski_harabasz"] = calinski_harabasz_score(x, labels)
        row["davies_bouldin"] = davies_bouldin_score(x, labels)
    if method == "gmm":
        row["bic"] = model.bic(x)
    return row


def _describe(means: pd.Series, short: Mapping[str, str]) -> str:
    overall = float(means.mean())
    highs = [short.get(c, c) for c in means.sort_values(ascending=False).index if means[c] >= _HIGH]
    if len(highs) >= 3 or (len(highs) == 2 and overall >= 0.75):
        level = "hoge stapeling"
    elif highs:
        level = "verhoogd"
    elif overall <= _LOW:
        level = "weinig opgaven"
    else:
        level = "gemiddeld"
    if highs and len(highs) == len(means) and len(means) > 2:
        return f"{level}: alle thema's"
    if highs:
        return f"{level}: {' + '.join(highs[:4])}"
    lows = [short.get(c, c) for c in means.sort_values().index if means[c] <= _LOW]
    if level == "gemiddeld" and lows:
        return f"gemiddeld, laag: {' + '.join(lows[:3])}"
    return level


def cluster_areas(
    values: pd.DataFrame,
    *,
    method: Method = "kmeans",
    k: int | None = None,
    k_range: tuple[int, int] = (3, 7),
    directions: Mapping[str, int] | None = None,
    short_labels: Mapping[str, str] | None = None,
    seed: int = 0,
    silhouette_sample: int = 1500,
    clip: float = 3.0,
) -> TypologyResult:
    """Cluster areas into a typology with readable Dutch profiles.

    Parameters
    ----------
    values
        One numeric column per indicator, one row per area. Not modified.
    method
        ``"kmeans"``, ``"ward"`` or ``"gmm"`` (see :data:`METHODS`).
    k
        Number of clusters; ``None`` chooses it by silhouette over ``k_range``.
    k_range
        Inclusive range of k to try.
    directions
        ``-1`` for indicators where lower means more need (flipped before scaling).
    short_labels
        Short Dutch name per indicator column, used in the cluster labels.
    seed
        Random seed; the same seed and data give the same result.
    silhouette_sample
        Compute silhouette on at most this many areas (seeded sample) for speed.
    clip
        Standardised values are clipped to ``[-clip, clip]``; ``0``: no clipping.

    Returns
    -------
    TypologyResult

    Raises
    ------
    ValueError
        On an unknown method or fewer than 3 complete areas.
    """
    if method not in METHODS:
        raise ValueError(f"unknown clustering method {method!r}; choose from {', '.join(METHODS)}")
    columns = list(values.columns)
    sign = np.array([(directions or {}).get(c, 1) for c in columns], dtype=float)
    raw = values.apply(pd.to_numeric, errors="coerce").astype(float)
    complete = raw.notna().all(axis=1).to_numpy()
    n = int(complete.sum())
    if n < 3:
        raise ValueError(f"only {n} areas have all selected indicators; at least 3 are needed")
    # Sort rows by index so the result does not depend on row order.
    order = np.lexsort([raw.index.astype(str).to_numpy()[complete]])
    positions = np.flatnonzero(complete)[order]
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    scaler = StandardScaler()
    x = scaler.fit_transform(raw.to_numpy()[positions] * sign)
    if clip and clip > 0:
        # As in the stacking score: one extreme value must not get a cluster of its own.
        x = np.clip(x, -clip, clip)
    if k is None:
        lo, hi = k_range
        candidates = [c for c in range(max(2, lo), min(hi, n - 1) + 1)] or [min(2, n - 1)]
    else:
        if not 1 <= k <= n:
            raise ValueError(f"k must lie between 1 and the number of complete areas ({n})")
        candidates = [k]
    rows, fits = [], {}
    sample = min(silhouette_sample, n)
    # One BLAS/OpenMP thread: on a small shared machine, k-means with several
    # threads was measured up to 7x slower than with one.
    with threadpool_limits(limits=1):
        for cand in candidates:
            labels, model = _fit(method, cand, x, seed)
            fits[cand] = (labels, model)
            rows.append(_diagnostics(method, cand, x, labels, model, sample, seed))
    scores = pd.DataFrame(rows).set_index("k")
    if "silhouette" in scores and scores["silhouette"].notna().any():
        best = int(scores["silhouette"].idxmax())
    else:
        best = candidates[0]
    labels, model = fits[best]

    scaled = pd.DataFrame(x, columns=columns)
    means = scaled.groupby(labels).mean()
    order_by_need = means.mean(axis=1).sort_values(ascending=False).index
    renumber = {old: new for new, old in enumerate(order_by_need, start=1)}
    numbered = np.array([renumber[v] for v in labels])
    means.index = [renumber[v] for v in means.index]
    means = means.sort_index()
    means["n_areas"] = pd.Series(numbered).value_counts().sort_index()

    short = dict(short_labels or {})
    label_nl: dict[int, str] = {}
    for cluster in means.index:
        text = _describe(means.loc[cluster, columns], short)
        if text in label_nl.values():
            text = f"{text} ({cluster})"
        label_nl[int(cluster)] = text

    out = pd.Series(pd.NA, index=values.index, dtype="Int64")
    out.iloc[positions] = numbered
    return TypologyResult(
        labels=out,
        label_nl=label_nl,
        k=best,
        method=method,
        profiles=means,
        scores=scores,
        model=model,
        scaler=scaler,
    )
