from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models import METHODS, cluster_areas
from models.typology import NO_CLUSTER_LABEL


def _blobs(seed: int = 0, n: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    centres = {"high": (3.0, 3.0, 3.0), "mixed": (3.0, -1.0, 0.0), "low": (-2.0, -2.0, -2.0)}
    rows, names = [], []
    for name, centre in centres.items():
        rows.append(rng.normal(centre, 0.3, size=(n, 3)))
        names += [name] * n
    values = pd.DataFrame(np.vstack(rows), columns=["corp", "bijstand", "jeugd"])
    values.index = [f"BU{i:08d}" for i in range(len(values))]
    values["truth"] = names
    return values


@pytest.mark.parametrize("method", list(METHODS))
def test_well_separated_groups_are_found_and_described(method):
    data = _blobs()
    values = data[["corp", "bijstand", "jeugd"]]
    result = cluster_areas(
        values,
        method=method,
        seed=1,
        short_labels={"corp": "corporatiebezit", "bijstand": "bijstand", "jeugd": "jeugdzorg"},
    )
    assert result.k == 3
    assert set(result.scores.index) == set(range(3, 8))
    assert {"silhouette", "calinski_harabasz", "davies_bouldin"} <= set(result.scores.columns)
    # Each true group is one cluster.
    crosstab = pd.crosstab(data["truth"], result.labels)
    assert (crosstab.gt(0).sum(axis=1) == 1).all()
    # Cluster 1 holds the most stacking; its label says so and names the themes.
    assert result.labels[data["truth"] == "high"].unique().tolist() == [1]
    assert result.label_nl[1] == "hoge stapeling: alle thema's"
    mixed = result.labels[data["truth"] == "mixed"].iloc[0]
    assert result.label_nl[mixed].startswith("verhoogd: corporatiebezit")
    low = result.labels[data["truth"] == "low"].iloc[0]
    assert result.label_nl[low] == "weinig opgaven"
    assert result.profiles.loc[1, "n_areas"] == 40
    assert result.profiles.loc[1, "corp"] > result.profiles.loc[low, "corp"]


def test_reproducible_with_a_seed_and_independent_of_row_order():
    values = _blobs(n=25)[["corp", "bijstand", "jeugd"]]
    first = cluster_areas(values, k=4, seed=3)
    again = cluster_areas(values, k=4, seed=3)
    pd.testing.assert_series_equal(first.labels, again.labels)
    shuffled = values.sample(frac=1.0, random_state=5)
    other = cluster_areas(shuffled, k=4, seed=3)
    pd.testing.assert_series_equal(other.labels.loc[values.index], first.labels)


def test_missing_values_get_no_cluster_and_input_is_untouched():
    values = _blobs(n=10)[["corp", "bijstand", "jeugd"]]
    values.iloc[2, 1] = np.nan
    before = values.copy()
    result = cluster_areas(values, k=3)
    pd.testing.assert_frame_equal(values, before)
    assert result.labels.index.equals(values.index)
    assert pd.isna(result.labels.iloc[2])
    assert result.labels.drop(values.index[2]).notna().all()
    assert NO_CLUSTER_LABEL not in result.label_nl.values()


def test_direction_is_respected_in_the_profile():
    data = _blobs(n=15)
    values = data[["corp"]].assign(income=-data["bijstand"])  # low income = need
    result = cluster_areas(
        values,
        k=3,
        directions={"income": -1},
        short_labels={"corp": "corporatiebezit", "income": "inkomen"},
    )
    high = result.labels[data["truth"] == "high"].iloc[0]
    assert high == 1
    assert "inkomen" in result.label_nl[1]


def test_bad_input_is_refused():
    values = _blobs(n=5)[["corp", "bijstand"]]
    with pytest.raises(ValueError, match="method"):
        cluster_areas(values, method="dbscan")
    with pytest.raises(ValueError, match="at least 3"):
        cluster_areas(values.iloc[:2])
    with pytest.raises(ValueError, match="k must"):
        cluster_areas(values, k=100)
