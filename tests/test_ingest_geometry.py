"""Geometry: CBS-layout GeoPackages (pyogrio where=/columns=) and PDOK OGC API Features."""

from __future__ import annotations

import geopandas as gpd
import pytest
from fake_pdok import write_geopackage
from geopandas.testing import assert_geodataframe_equal
from shapely.geometry import Polygon, box

from cbs_ingest.errors import InputError
from cbs_ingest.geometry import check_geopackage, clean_geometry, fetch_pdok, read_geopackage


def _tiny_layers() -> dict[str, gpd.GeoDataFrame]:
    """One gemeente in EPSG:28992: land and water parts, a water-only wijk and buurt,
    and a self-intersecting (invalid) buurt polygon."""
    bowtie = Polygon([(1000, 0), (2000, 1000), (2000, 0), (1000, 1000)])
    buurten = gpd.GeoDataFrame(
        {
            "buurtcode": ["BU00010000", "BU00010001", "BU00010100"],
            "buurtnaam": ["Kern", "Strik", "Plas"],
            "wijkcode": ["WK000100", "WK000100", "WK000101"],
            "gemeentecode": "GM0001",
            "gemeentenaam": "Proefdorp",
            "water": ["NEE", "NEE", "JA"],
        },
        geometry=[box(0, 0, 1000, 1000), bowtie, box(0, 1000, 2000, 2000)],
        crs=28992,
    )
    wijken = gpd.GeoDataFrame(
        {
            "wijkcode": ["WK000100", "WK000101"],
            "wijknaam": ["Dorp", "Water"],
            "gemeentecode": "GM0001",
            "gemeentenaam": "Proefdorp",
            "water": ["NEE", "JA"],
        },
        geometry=[box(0, 0, 2000, 1000), box(0, 1000, 2000, 2000)],
        crs=28992,
    )
    gemeenten = gpd.GeoDataFrame(
        {"gemeentecode": ["GM0001", "GM0001"], "gemeentenaam": "Proefdorp", "water": ["NEE", "JA"]},
        geometry=[box(0, 0, 2000, 1000), box(0, 1000, 2000, 2000)],
        crs=28992,
    )
    return {"gemeenten": gemeenten, "wijken": wijken, "buurten": buurten}


def test_water_only_areas_are_dropped_and_geometry_made_valid(tmp_path):
    path = write_geopackage(_tiny_layers(), tmp_path / "tiny.gpkg")
    frames, water = clean_geometry(read_geopackage(path, ["GM0001"]))
    assert water == {"buurt": ["BU00010100"], "wijk": ["WK000101"], "gemeente": []}
    assert list(frames["buurt"]["code"]) == ["BU00010000", "BU00010001"]
    assert frames["gemeente"]["code"].tolist() == ["GM0001"]  # land part only
    assert frames["gemeente"].geometry.iloc[0].area == pytest.approx(2000 * 1000)
    for frame in frames.values():
        assert frame.geometry.is_valid.all()
        assert frame.crs.to_epsg() == 28992
        assert set(frame.geom_type) <= {"Polygon", "MultiPolygon"}
    assert frames["buurt"].loc[1, "name"] == "Strik"


@pytest.mark.parametrize(
    ("breakage", "needle"),
    [
        ("no_file", "does not exist"),
        ("no_layer", "lacks the layer"),
        ("no_attr", "buurtnaam"),
        ("not_gpkg", "not a readable GeoPackage"),
    ],
)
def test_bad_geopackages_are_input_errors(tmp_path, breakage, needle):
    layers = _tiny_layers()
    path = tmp_path / "bad.gpkg"
    if breakage == "no_layer":
        del layers["wijken"]
        write_geopackage(layers, path)
    elif breakage == "no_attr":
        layers["buurten"] = layers["buurten"].drop(columns="buurtnaam")
        write_geopackage(layers, path)
    elif breakage == "not_gpkg":
        path.write_text("not a geopackage")
    with pytest.raises(InputError) as info:
        check_geopackage(path)
    assert needle in info.value.message
    assert info.value.nl != info.value.message


@pytest.mark.real_data
def test_where_reads_one_gemeente_like_a_full_read_would(cbs_gpkg, cbs_layers_2024):
    one = read_geopackage(cbs_gpkg, ["GM0597"])
    everything = read_geopackage(cbs_gpkg, None)
    assert len(one["buurt"]) == 12
    assert set(one["wijk"]["gemeentecode"]) == {"GM0597"}
    subset = everything["buurt"][everything["buurt"]["gemeentecode"] == "GM0597"]
    assert_geodataframe_equal(one["buurt"].reset_index(drop=True), subset.reset_index(drop=True))
    # Every wijk of the GeoPackage: 3,393 from ../shared, 54 from the fixture.
    assert len(everything["wijk"]) == len(cbs_layers_2024["wijken"]) > len(one["wijk"])


@pytest.mark.real_data
def test_pdok_pages_and_filters_like_the_geopackage(pdok_server, cbs_gpkg):
    via_pdok, _ = clean_geometry(fetch_pdok(2024, ["GM0606"]))
    via_file, _ = clean_geometry(read_geopackage(cbs_gpkg, ["GM0606"]))
    for level in ("buurt", "wijk", "gemeente"):
        a = via_pdok[level].sort_values("code").reset_index(drop=True)
        b = via_file[level].sort_values("code").reset_index(drop=True)
        assert list(a["code"]) == list(b["code"])
        assert (a.geometry.symmetric_difference(b.geometry).area < 1.0).all()
    log = pdok_server.state["log"]
    assert all("gemeentecode=GM0606" in entry for entry in log)
    assert all("28992" in entry for entry in log)


@pytest.mark.real_data
def test_pdok_follows_next_links_when_the_server_caps_the_page(pdok_server, cbs_gpkg):
    pdok_server.state["max_limit"] = 10  # fewer than asked, as a server may answer
    frames = fetch_pdok(2024, ["GM0606"])
    expected = read_geopackage(cbs_gpkg, ["GM0606"])
    assert sorted(frames["buurt"]["code"]) == sorted(expected["buurt"]["code"])
    buurt_pages = [e for e in pdok_server.state["log"] if "/collections/buurten/" in e]
    assert len(buurt_pages) == -(-len(expected["buurt"]) // 10)
