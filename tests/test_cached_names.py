"""cbs_ingest.cached_names: area names of a gemeente from the cache, without network."""

from __future__ import annotations

import pytest

import cbs_ingest
from cbs_ingest.cached_names import cached_area_names


def test_demo_gemeente_names_are_generated(demo_frames):
    names = cached_area_names(2024, "gm9999", level="wijk")
    assert names == dict(zip(demo_frames["wijk"]["code"], demo_frames["wijk"]["name"], strict=True))


def test_nothing_cached_gives_none(tmp_path, monkeypatch):
    monkeypatch.setenv("STAPELKAART_DATA_DIR", str(tmp_path / "empty"))
    assert cached_area_names(2024, "GM0606", level="buurt") is None


@pytest.mark.real_data
def test_names_of_an_ingested_gemeente_per_level_and_year(cbs_server, cbs_gpkg):
    result = cbs_ingest.load(2024, ["GM0606", "GM0622"], geometry_file=cbs_gpkg)
    buurten = result.frames["buurt"]
    expected = buurten[buurten["gemeentecode"] == "GM0606"]
    names = cached_area_names(2024, "GM0606", level="buurt")
    assert names == dict(zip(expected["code"], expected["name"], strict=True))
    assert len(names) == 70
    assert len(cached_area_names(2024, "GM0622", level="wijk")) == len(
        result.frames["wijk"].query("gemeentecode == 'GM0622'")
    )
    assert cached_area_names(2023, "GM0606", level="buurt") is None  # other year
    assert cached_area_names(2024, "GM0505", level="buurt") is None  # not ingested
