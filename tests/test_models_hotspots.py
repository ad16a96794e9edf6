from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from models import build_weights, local_hotspots


def _grid(n: int = 10, *, island: bool = False) -> gpd.GeoSeries:
    ix, iy = np.divmod(np.arange(n * n), n)
    geoms = list(shapely.box(ix * 100.0, iy * 100.0, ix * 100.0 + 100, iy * 100.0 + 100))
    if island:
        geoms.append(shapely.box(5000, 5000, 5100, 5100))
    return gpd.GeoSeries(geoms, crs=28992)


def _values(n: int = 10, *, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    ix, iy = np.divmod(np.arange(n * n), n)
    y = rng.normal(0, 0.3, n * n)
    y[(ix < 3) & (iy < 3)] += 3.0  # a hot corner
    y[(ix >= 7) & (iy >= 7)] -= 3.0  # a cold corner
    return y


def test_queen_weights_on_a_3x3_grid():
    graph = build_weights(_grid(3), buffer=0)
    card = graph.cardinalities.sort_index()
    assert card[4] == 8 and card[0] == 3 and card[1] == 5
    fuzzy = build_weights(_grid(3))
    assert fuzzy.cardinalities.sort_index().tolist() == card.tolist()


def test_gaps_between_simplified_polygons_are_bridged_by_the_buffer():
    geoms = gpd.GeoSeries([shapely.box(0, 0, 100, 100), shapely.box(102, 0, 200, 100)], crs=28992)
    assert len(build_weights(geoms, buffer=0).isolates) == 2
    assert len(build_weights(geoms, buffer=5).isolates) == 0


def test_weights_need_a_projected_crs():
    with pytest.raises(ValueError, match="projected"):
        build_weights(_grid(3).to_crs(4326))


def test_hot_and_cold_corners_are_found():
    graph = build_weights(_grid())
    y = pd.Series(_values(), index=[f"BU{i:08d}" for i in range(100)])
    result = local_hotspots(y, graph, permutations=499, seed=1)
    table = result.table
    assert table.index.equals(y.index)
    ix, iy = np.divmod(np.arange(100), 10)
    hot = (ix < 2) & (iy < 2)
    cold = (ix >= 8) & (iy >= 8)
    assert (table["hotspot"].to_numpy()[hot] == "High-High").all()
    assert (table["hotspot"].to_numpy()[cold] == "Low-Low").all()
    assert (table["gi_hotspot"].to_numpy()[hot] == "hot").all()
    assert (table["gi_hotspot"].to_numpy()[cold] == "cold").all()
    middle = table["hotspot"].to_numpy()[(ix >= 4) & (ix <= 5) & (iy >= 4) & (iy <= 5)]
    assert (middle == "not significant").all()
    assert result.threshold == 0.05 and result.n_islands == 0


def test_fdr_is_stricter_and_islands_and_gaps_are_explicit():
    graph = build_weights(_grid(island=True))
    y = pd.Series(np.append(_values(), 5.0))
    y.iloc[55] = np.nan
    plain = local_hotspots(y, graph, permutations=199, seed=2)
    strict = local_hotspots(y, graph, permutations=199, seed=2, fdr=True)
    assert strict.threshold <= plain.threshold
    assert (strict.table["hotspot"] != "not significant").sum() <= (
        plain.table["hotspot"] != "not significant"
    ).sum()
    for result in (plain, strict):
        assert result.table["hotspot"].iloc[100] == "no neighbours"
        assert result.table["gi_hotspot"].iloc[100] == "no neighbours"
        assert result.table["hotspot"].iloc[55] == "no data"
        assert result.n_islands == 1
        assert np.isnan(result.table["moran_p"].iloc[100])


def test_result_does_not_depend_on_row_order_when_labels_travel():
    geoms = _grid()
    y = pd.Series(_values(seed=4), index=[f"BU{i:08d}" for i in range(100)])
    first = local_hotspots(y, build_weights(geoms), permutations=99, seed=0)
    order = np.random.default_rng(0).permutation(100)
    shuffled = local_hotspots(
        y.iloc[order], build_weights(geoms.iloc[order]), permutations=99, seed=0
    )
    pd.testing.assert_frame_equal(shuffled.table.loc[y.index], first.table)


def test_graph_must_fit_the_values():
    graph = build_weights(_grid(3))
    with pytest.raises(ValueError, match="does not fit"):
        local_hotspots(pd.Series(np.arange(5.0)), graph)


def test_gi_star_pseudo_p_values_equal_esdas_own_permutation_test():
    import warnings

    import esda

    from models.hotspots import _local_statistics

    graph = build_weights(_grid())
    y = _values(seed=7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        moran, gi_z = _local_statistics(y, graph, 199, 3)
        own = esda.G_Local(
            y - y.min() + 1.0,
            graph.assign_self_weight(1.0),
            transform="R",
            permutations=199,
            star=None,
            n_jobs=1,
            seed=3,
            keep_simulations=False,
        )
    np.testing.assert_allclose(own.Zs, gi_z)
    np.testing.assert_allclose(own.p_sim, moran.p_sim)
