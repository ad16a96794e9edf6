"""Spatial hotspots of the stacking score: Local Moran's I and Getis-Ord Gi*.

The contiguity graph is built once per geometry set with :func:`build_weights`
(callers may cache it) and passed in. Its ids are the positions ``0..n-1`` of
the areas, so it fits any frame with the same rows in the same order.

Areas without a value or without neighbours are left out of the statistics:
they get ``no data`` or ``no neighbours``, never a silent ``not significant``.
Significance comes from conditional permutation (``permutations``), optionally
corrected for the many local tests with the false-discovery-rate bound of
:func:`esda.fdr`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

if TYPE_CHECKING:  # esda and libpysal are imported where used (over a second)
    import esda
    from libpysal.graph import Graph

__all__ = [
    "HOTSPOT_LABELS",
    "HotspotResult",
    "build_weights",
    "local_hotspots",
]

#: Moran quadrant labels (esda quadrant codes 1-4) and the other outcomes.
HOTSPOT_LABELS: dict[int, str] = {1: "High-High", 2: "Low-High", 3: "Low-Low", 4: "High-Low"}
NOT_SIGNIFICANT = "not significant"
NO_NEIGHBOURS = "no neighbours"
NO_DATA = "no data"
__all__ += ["NOT_SIGNIFICANT", "NO_NEIGHBOURS", "NO_DATA"]


@dataclass(frozen=True)
class HotspotResult:
    """Local statistics per area, aligned to the input index.

    Attributes
    ----------
    table
        ``hotspot`` (Moran label), ``moran_i``, ``moran_p``, ``gi_z``,
        ``gi_p``, ``gi_hotspot`` (``hot``, ``cold``, ``not significant``, ...).
    alpha
        Significance level used.
    threshold
        The p-value threshold actually applied (lower than ``alpha`` with FDR).
    n_islands
        Number of areas with a value but without neighbours.
    """

    table: pd.DataFrame
    alpha: float
    threshold: float
    n_islands: int


def build_weights(geometry: gpd.GeoSeries, *, buffer: float = 5.0) -> Graph:
    """Build the queen-contiguity graph of a set of areas, ids ``0..n-1``.

    Parameters
    ----------
    geometry
        Area polygons in a projected CRS (metres, e.g. EPSG:28992).
    buffer
        Tolerance in metres: areas whose boundaries come within this distance
        are neighbours (fuzzy contiguity). Simplified polygons often have
        slivers between them; ``0`` uses strict shared-vertex contiguity.

    Returns
    -------
    libpysal.graph.Graph
        Binary graph; isolates (areas without neighbours) are kept as islands.
    """
    from libpysal.graph import Graph

    if geometry.crs is None or not geometry.crs.is_projected:
        raise ValueError("geometry must have a projected CRS in metres (e.g. EPSG:28992)")
    geoms = gpd.GeoSeries(geometry.to_numpy(), crs=geometry.crs)
    if buffer > 0:
        return Graph.build_fuzzy_contiguity(geoms, buffer=buffer)
    return Graph.build_contiguity(geoms, rook=False)


def _local_statistics(
    y: np.ndarray, graph: Graph, permutations: int, seed: int
) -> tuple[esda.Moran_Local, np.ndarray]:
    import esda

    moran = esda.Moran_Local(
        y,
        graph,
        transformation="r",
        permutations=permutations,
        n_jobs=1,
        seed=seed,
        keep_simulations=False,
    )
    # Gi* needs a positive variable; its z-score does not change under a shift
    # of location. Self-weight 1 makes it the starred Gi*. No permutations here:
    # for a fixed focal value both Gi* and local Moran's I are monotone in the
    # sum of the neighbours' values, so under the same conditional permutations
    # their folded pseudo p-values coincide (tests/test_models_hotspots.py checks
    # this against esda's own Gi* permutation test); running them twice would
    # only double the time.
    gi = esda.G_Local(
        y - y.min() + 1.0,
        graph.assign_self_weight(1.0),
        transform="R",
        permutations=0,
        star=None,
        n_jobs=1,
        seed=seed,
        keep_simulations=False,
    )
    return moran, np.asarray(gi.Zs, dtype=float)


def local_hotspots(
    values: pd.Series,
    graph: Graph,
    *,
    permutations: int = 999,
    alpha: float = 0.05,
    fdr: bool = False,
    seed: int = 0,
) -> HotspotResult:
    """Local Moran's I and Getis-Ord Gi* of one variable.

    Parameters
    ----------
    values
        The variable (e.g. ``stacking_score``), one row per area in the order
        the graph was built; NaN allowed. Not modified. Its index labels (e.g.
        area codes) fix the order of the permutations, so results do not
        depend on the row order when the labels travel with the rows.
    graph
        Contiguity graph from :func:`build_weights` (ids ``0..n-1``).
    permutations
        Number of conditional permutations for pseudo p-values.
    alpha
        Significance level.
    fdr
        Apply the false-discovery-rate bound (:func:`esda.fdr`) instead of ``alpha``.
    seed
        Seed of the permutations.

    Returns
    -------
    HotspotResult
    """
    import esda
    from libpysal.graph import Graph

    n = len(values)
    if graph.n != n or not np.array_equal(np.sort(graph.unique_ids.to_numpy()), np.arange(n)):
        raise ValueError(f"graph does not fit the values: {graph.n} graph ids, {n} values")
    if permutations < 1:
        raise ValueError("permutations must be at least 1")
    y = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    table = pd.DataFrame(
        {
            "hotspot": NO_DATA,
            "moran_i": np.nan,
            "moran_p": np.nan,
            "gi_z": np.nan,
            "gi_p": np.nan,
            "gi_hotspot": NO_DATA,
        },
        index=values.index,
    )
    valid = np.flatnonzero(np.isfinite(y))
    sub = graph.subgraph(valid) if len(valid) < n else graph
    isolates = np.asarray(sorted(set(sub.isolates.tolist())), dtype=int)
    connected = np.setdiff1d(valid, isolates)
    # Process areas in the order of their index labels, so that the random
    # permutations (drawn per area, in order) do not depend on the row order.
    labels_of = values.index.astype(str).to_numpy()
    connected = connected[np.argsort(labels_of[connected], kind="stable")]
    table.iloc[isolates, table.columns.get_loc("hotspot")] = NO_NEIGHBOURS
    table.iloc[isolates, table.columns.get_loc("gi_hotspot")] = NO_NEIGHBOURS
    threshold = alpha
    if len(connected) >= 3:
        g = sub.subgraph(connected) if len(isolates) else sub
        # Relabel ids to 0..m-1 in the order of ``connected``.
        position = {old: new for new, old in enumerate(connected)}
        adj = g.adjacency.reset_index()
        adj["focal"] = adj["focal"].map(position)
        adj["neighbor"] = adj["neighbor"].map(position)
        # The graph's id order must be the order of ``yc``: sort by the new ids.
        adj = adj.sort_values(["focal", "neighbor"], kind="stable")
        g = Graph.from_arrays(
            adj["focal"].to_numpy(), adj["neighbor"].to_numpy(), adj["weight"].to_numpy()
        )
        if not np.array_equal(g.unique_ids.to_numpy(), np.arange(len(connected))):
            raise RuntimeError("internal error: graph ids out of order")
        yc = y[connected]
        with warnings.catch_warnings():
            # esda announces a future change of the permutation alternative; we
            # keep (and document) the current folded pseudo p-value.
            warnings.filterwarnings(
                "ignore", message="The alternative hypothesis", category=DeprecationWarning
            )
            moran, gi_z = _local_statistics(yc, g, permutations, seed)
        threshold = float(esda.fdr(moran.p_sim, alpha)) if fdr else alpha
        significant = moran.p_sim <= threshold
        labels = np.where(
            significant, pd.Series(moran.q).map(HOTSPOT_LABELS).to_numpy(), NOT_SIGNIFICANT
        )
        gi_labels = np.where(
            significant & (gi_z > 0), "hot", np.where(significant, "cold", NOT_SIGNIFICANT)
        )
        cols = [table.columns.get_loc(c) for c in ("hotspot", "moran_i", "moran_p")]
        table.iloc[connected, cols[0]] = labels
        table.iloc[connected, cols[1]] = moran.Is
        table.iloc[connected, cols[2]] = moran.p_sim
        table.iloc[connected, table.columns.get_loc("gi_z")] = gi_z
        table.iloc[connected, table.columns.get_loc("gi_p")] = moran.p_sim
        table.iloc[connected, table.columns.get_loc("gi_hotspot")] = gi_labels
    else:
        table.iloc[connected, table.columns.get_loc("hotspot")] = NOT_SIGNIFICANT
        table.iloc[connected, table.columns.get_loc("gi_hotspot")] = NOT_SIGNIFICANT
    return HotspotResult(table=table, alpha=alpha, threshold=threshold, n_islands=len(isolates))
