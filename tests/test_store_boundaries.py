"""Boundaries of other years in the area store, keyed by year, level and gemeente.

Every test runs once per backend: the embedded store, and PostgreSQL in a throw-away
cluster (skipped, saying why, without the binaries).
"""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import box

from cbs_ingest.boundaries_load import WHOLE_COUNTRY, load_boundaries
from cbs_ingest.errors import StoreError

PROVENANCE = {"source": "test", "retrieved_at": "2026-01-02T03:04:05+00:00"}


@pytest.fixture
def store(area_store):
    """A fresh area store of each backend (``area_store`` in conftest)."""
    return area_store


def _wijken(gemeente: str, shift: float = 0.0) -> gpd.GeoDataFrame:
    x = 100_000 + int(gemeente[2:]) * 1_000
    return gpd.GeoDataFrame(
        {
            "code": [f"WK{gemeente[2:]}01", f"WK{gemeente[2:]}02"],
            "name": ["Noord", None],
            "gemeentecode": [gemeente] * 2,
        },
        geometry=[box(x, 0, x + 100 + shift, 100), box(x + 100 + shift, 0, x + 200, 100)],
        crs=28992,
    )


def test_boundaries_per_year_round_trip_and_replace(store):
    assert store.boundaries_held(2020, "wijk") == set()  # a store without the tables
    with pytest.raises(StoreError, match="holds no wijk boundaries of 2020") as caught:
        store.get_boundaries(2020, "wijk", ["GM0001"])
    assert "geen grenzen" in caught.value.nl
    store.put_boundaries(
        _wijken("GM0001"), year=2020, level="wijk", gemeenten=["GM0001"], provenance=PROVENANCE
    )
    store.put_boundaries(
        _wijken("GM0001", 20), year=2021, level="wijk", gemeenten=["GM0001"], provenance=PROVENANCE
    )
    store.put_boundaries(
        _wijken("GM0002"), year=2020, level="wijk", gemeenten=["GM0002"], provenance=PROVENANCE
    )
    got = store.get_boundaries(2020, "wijk", ["GM0001"])
    assert got["code"].tolist() == ["WK000101", "WK000102"] and got.crs.to_epsg() == 28992
    assert got.geometry.area.tolist() == pytest.approx([10_000.0, 10_000.0])
    assert got["name"].iloc[0] == "Noord" and got["name"].isna().tolist() == [False, True]
    later = store.get_boundaries(2021, "wijk", ["GM0001"])  # the year is part of the key
    assert later.geometry.area.tolist() == pytest.approx([12_000.0, 8_000.0])
    # a put replaces that gemeente's year and level only
    store.put_boundaries(
        _wijken("GM0001").iloc[:1],
        year=2020,
        level="wijk",
        gemeenten=["GM0001"],
        provenance=PROVENANCE,
    )
    assert len(store.get_boundaries(2020, "wijk", ["GM0001", "GM0002"])) == 3
    assert store.boundaries_held(2020, "wijk") == {"GM0001", "GM0002"}
    with pytest.raises(ValueError, match="not put"):
        store.put_boundaries(
            _wijken("GM0003"), year=2020, level="wijk", gemeenten=["GM0001"], provenance=PROVENANCE
        )
    with pytest.raises(ValueError, match="EPSG:28992"):
        store.put_boundaries(
            _wijken("GM0001").to_crs(4326),
            year=2020,
            level="wijk",
            gemeenten=["GM0001"],
            provenance=PROVENANCE,
        )


def test_load_boundaries_store_first_then_nothing_when_pdok_is_down(store, monkeypatch):
    monkeypatch.setenv("STAPELKAART_PDOK_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("STAPELKAART_HTTP_RETRIES", "1")
    for level in ("gemeente", "wijk"):
        frame = _wijken("GM0001")
        if level == "gemeente":
            frame = frame.dissolve("gemeentecode").reset_index()
            frame["code"] = frame["gemeentecode"]
        store.put_boundaries(
            frame[["code", "name", "gemeentecode", "geometry"]],
            year=2020,
            level=level,
            gemeenten=["GM0001"],
            provenance=PROVENANCE,
        )
    got = load_boundaries([2020, 2021, 2022], ["GM0001"], store=store)
    assert set(got.geometries) == {2020}
    assert got.sources == {2020: "kept boundaries"}
    assert len(got.geometries[2020]["wijk"]) == 2
    # PDOK is asked once for 2021, then not again for 2022
    assert len(got.notes) == 2 and "PDOK" in got.notes[0]
    assert WHOLE_COUNTRY not in store.boundaries_held(2020, "wijk")
