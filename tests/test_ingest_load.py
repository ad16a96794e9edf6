"""End to end: load() against the local CBS OData server and a CBS-layout GeoPackage."""

from __future__ import annotations

import pandas as pd
import pytest
from geopandas.testing import assert_geodataframe_equal

import cbs_ingest
from cbs_ingest import cache
from cbs_ingest.columns import CANONICAL_COLUMNS, FRAME_KEYS, LEVELS

pytestmark = pytest.mark.real_data

SCHEMA = list(FRAME_KEYS) + [c.name for c in CANONICAL_COLUMNS] + ["geometry"]


def _stats(real_data, level: str) -> pd.DataFrame:
    """The KWB rows of ``level`` in the real data (``level`` = buurt, wijk or gemeente)."""
    name = {
        "buurt": "buurt_2024_stats_rijnmond_excl_rotterdam",
        "wijk": "wijk_2024_stats",
        "gemeente": "gemeente_2024_stats",
    }[level]
    frame = pd.read_parquet(real_data / "nprz-app" / f"{name}.parquet")
    frame = frame.drop_duplicates(f"{level}code")  # gemeenten: one row per geometry part
    return frame.set_index(f"{level}code")


def _check_gemeente(result, real_data, gemeente: str) -> None:
    for level in ("buurt", "wijk"):
        frame = result.frames[level]
        frame = frame[frame["gemeentecode"] == gemeente]
        stats = _stats(real_data, level)
        stats = stats[stats["gemeentecode"] == gemeente]
        assert len(stats) > 0
        assert sorted(frame["code"]) == sorted(stats.index)
        values = frame.set_index("code")["population"]
        assert (values == stats.loc[values.index, "AantalInwoners_5"].astype(float)).all()
        names = frame.set_index("code")["name"]
        assert (names == stats.loc[names.index, f"{level}naam"]).all()


@pytest.mark.parametrize("gemeente", ["GM0606", "GM0597"])
def test_one_gemeente_joins_completely(cbs_server, cbs_gpkg, real_data, gemeente):
    result = cbs_ingest.load(2024, [gemeente], geometry_file=cbs_gpkg)
    assert result.report.complete
    _check_gemeente(result, real_data, gemeente)
    assert result.frames["gemeente"]["code"].tolist() == [gemeente]


def test_all_rijnmond_gemeenten_join_completely(cbs_server, cbs_gpkg, real_data):
    """Every gemeente with buurt rows: 11 with 452 buurten in ../shared, 3 in the fixture."""
    buurten = _stats(real_data, "buurt")
    rijnmond = sorted(set(buurten["gemeentecode"]))
    assert len(rijnmond) >= 3
    result = cbs_ingest.load(2024, rijnmond, geometry_file=cbs_gpkg)
    assert result.report.complete
    assert result.report["buurt"].matched == len(buurten)
    for gemeente in rijnmond:
        _check_gemeente(result, real_data, gemeente)
    assert sorted(result.frames["gemeente"]["code"]) == rijnmond


def test_frames_follow_the_area_frame_schema(cbs_server, cbs_gpkg):
    result = cbs_ingest.load(2024, ["GM0606", "GM0622"], geometry_file=cbs_gpkg)
    for level in LEVELS:
        frame = result.frames[level]
        assert list(frame.columns) == SCHEMA
        assert frame.crs.to_epsg() == 28992
        assert frame.geometry.is_valid.all() and not frame.geometry.is_empty.any()
        assert (frame["level"] == level).all() and (frame["year"] == 2024).all()
        assert frame["code"].is_unique
        for column in (c.name for c in CANONICAL_COLUMNS):
            assert frame[column].dtype == float
    buurt = result.frames["buurt"]
    assert (buurt["wijkcode"] == "WK" + buurt["code"].str[2:8]).all()
    assert result.frames["gemeente"]["wijkcode"].isna().all()
    assert result.frames["buurt"]["pct_households_social_minimum"].isna().all()  # not in 2024
    prov = result.provenance
    assert prov["table_id"] == "85984NED" and prov["year"] == 2024
    assert prov["columns"]["wmo_clients"] == "WmoClienten_93"
    assert prov["columns"]["pct_households_social_minimum"] is None
    assert prov["gemeenten"] == {"GM0606": "Schiedam", "GM0622": "Vlaardingen"}
    assert sum(prov["missing"]["wmo_clients"].values()) == buurt["wmo_clients"].isna().sum() + (
        result.frames["wijk"]["wmo_clients"].isna().sum()
        + result.frames["gemeente"]["wmo_clients"].isna().sum()
    )


def test_second_load_is_served_from_cache_without_network(cbs_server, cbs_gpkg):
    first = cbs_ingest.load(2024, ["GM0622"], geometry_file=cbs_gpkg)
    requests_after_first = len(cbs_server.log)
    second = cbs_ingest.load(2024, ["GM0622"], geometry_file=cbs_gpkg)
    assert len(cbs_server.log) == requests_after_first
    assert not first.from_cache and first.cache_age is None
    assert second.from_cache and not second.stale and second.cache_age is not None
    for level in LEVELS:
        assert_geodataframe_equal(first.frames[level], second.frames[level])
    assert second.cache_path == first.cache_path
    assert second.cache_path.parent == cache.cache_dir()

    third = cbs_ingest.load(2024, ["GM0622"], geometry_file=cbs_gpkg, refresh=True)
    assert not third.from_cache and len(cbs_server.log) > requests_after_first


def test_cache_names_differ_per_request(cbs_server, cbs_gpkg):
    a = cbs_ingest.load(2024, ["GM0597"], geometry_file=cbs_gpkg)
    b = cbs_ingest.load(2024, ["GM0597", "GM0622"], geometry_file=cbs_gpkg)
    c = cbs_ingest.load(2023, ["GM0597"], geometry_file=cbs_gpkg)
    assert len({a.cache_path, b.cache_path, c.cache_path}) == 3
    listed = cbs_ingest.cached_datasets()
    assert {(d.year, tuple(sorted(d.gemeenten))) for d in listed} == {
        (2024, ("GM0597",)),
        (2024, ("GM0597", "GM0622")),
        (2023, ("GM0597",)),
    }
    assert all(d.rows["buurt"] > 0 and d.age.total_seconds() >= 0 for d in listed)
    assert dict(listed[0].gemeenten).get("GM0597") == "Ridderkerk"


def test_codes_are_normalised_and_validated(cbs_server, cbs_gpkg):
    result = cbs_ingest.load(2024, ["gm0597", "597"], geometry_file=cbs_gpkg)
    assert result.frames["gemeente"]["code"].tolist() == ["GM0597"]
    for bad in (["Dordrecht"], ["GM05050"], []):
        with pytest.raises(cbs_ingest.InputError):
            cbs_ingest.load(2024, bad, geometry_file=cbs_gpkg)


def test_whole_country_wijken(cbs_server, cbs_gpkg, real_data):
    """Without a gemeente, every area CBS serves: 3,393 wijken, 342 gemeenten and 452
    buurten from ../shared; the fixture's 54 wijken, 5 gemeenten and 122 buurten."""
    result = cbs_ingest.load(2024, None, geometry_file=cbs_gpkg)
    n = {level: len(_stats(real_data, level)) for level in ("buurt", "wijk", "gemeente")}
    assert len(result.frames["wijk"]) == n["wijk"] and result.report["wijk"].match_rate == 1.0
    assert len(result.frames["gemeente"]) == n["gemeente"]
    assert result.report["gemeente"].match_rate == 1.0
    assert result.report["buurt"].matched == n["buurt"]


def test_pdok_is_used_without_a_geometry_file(cbs_server, pdok_server):
    result = cbs_ingest.load(2024, ["GM0597"])
    assert result.report.complete
    assert len(result.frames["buurt"]) == 12
    assert result.provenance["geometry_source"] == pdok_server.url


def test_demo_needs_no_network(cbs_server, demo_frames):
    result = cbs_ingest.load(2024, ["GM9999"])
    assert cbs_server.log == []
    assert result.provenance["source"] == "demo" and not result.from_cache
    for level in LEVELS:
        assert_geodataframe_equal(result.frames[level], demo_frames[level])
    with pytest.raises(cbs_ingest.InputError):
        cbs_ingest.load(2024, ["GM9999", "GM0505"])


def test_progress_is_reported_from_zero_to_one(cbs_server, cbs_gpkg):
    seen: list[tuple[float, str]] = []
    cbs_ingest.load(
        2024, ["GM0597"], geometry_file=cbs_gpkg, progress=lambda f, m: seen.append((f, m))
    )
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert all(0.0 <= f <= 1.0 and m for f, m in seen)


def test_app_style_load_finds_what_the_cli_stored(cbs_server, cbs_gpkg, monkeypatch, tmp_path):
    """Ingest with a GeoPackage, then load without one and without network: cache hit."""
    from fake_pdok import write_geopackage

    stored = cbs_ingest.load(2024, ["GM0597"], geometry_file=cbs_gpkg)
    monkeypatch.setenv("STAPELKAART_PDOK_URL", "http://127.0.0.1:9")
    before = len(cbs_server.log)
    again = cbs_ingest.load(2024, ["GM0597"])
    assert again.from_cache and again.cache_path == stored.cache_path
    assert len(cbs_server.log) == before
    # A different GeoPackage for the same request is read, not skipped.
    import geopandas as gpd

    other = tmp_path / "other.gpkg"
    layers = {
        name: gpd.read_file(cbs_gpkg, layer=name, where="gemeentecode = 'GM0597'")
        for name in ("gemeenten", "wijken", "buurten")
    }
    write_geopackage(layers, other)
    fresh = cbs_ingest.load(2024, ["GM0597"], geometry_file=other)
    assert not fresh.from_cache and len(cbs_server.log) > before
    assert fresh.provenance["geometry_source"] == str(other.resolve())
