from __future__ import annotations

import numpy as np
import pytest
from geopandas.testing import assert_geodataframe_equal

from cbs_ingest.columns import CANONICAL_COLUMNS, FRAME_KEYS
from cbs_ingest.demo import DEMO_GEMEENTE_CODE, make_demo
from geo_app.cli import main


def test_demo_is_deterministic_per_seed(demo_frames):
    again = make_demo()
    for level in ("buurt", "wijk", "gemeente"):
        assert_geodataframe_equal(demo_frames[level], again[level])
    other = make_demo(seed=7)
    assert not other["buurt"]["population"].equals(demo_frames["buurt"]["population"])


def test_demo_has_the_frame_schema(demo_frames):
    expected = list(FRAME_KEYS) + [c.name for c in CANONICAL_COLUMNS] + ["geometry"]
    for level, frame in demo_frames.items():
        assert list(frame.columns) == expected
        assert (frame["level"] == level).all()
        assert frame.crs.to_epsg() == 28992
        assert frame.geometry.is_valid.all()
        assert frame["code"].is_unique
    buurt = demo_frames["buurt"]
    assert 40 <= len(buurt) <= 80
    assert buurt["code"].str.fullmatch(r"BU9999\d{4}").all()
    assert (buurt["gemeentecode"] == DEMO_GEMEENTE_CODE).all()
    assert set(buurt["wijkcode"]) == set(demo_frames["wijk"]["code"])


def test_demo_buurten_tile_the_gemeente_without_overlap(demo_frames):
    buurt, gemeente = demo_frames["buurt"], demo_frames["gemeente"]
    assert buurt.area.sum() == pytest.approx(gemeente.area.sum(), rel=1e-6)
    overlaps = buurt.sjoin(buurt, predicate="overlaps")
    assert overlaps.empty


def test_demo_hierarchy_adds_up(demo_frames):
    buurt, wijk, gemeente = demo_frames["buurt"], demo_frames["wijk"], demo_frames["gemeente"]
    sums = buurt.groupby("wijkcode")["persons_bijstand"].sum()
    assert sums.to_dict() == wijk.set_index("code")["persons_bijstand"].to_dict()
    assert gemeente["population"].iloc[0] == buurt["population"].sum()


def test_demo_values_are_plausible_and_stack(demo_frames):
    buurt = demo_frames["buurt"]
    published = buurt.dropna(subset=["pct_corporation_owned"])
    assert published["pct_corporation_owned"].between(0, 100).all()
    assert (published["persons_bijstand"] % 10 == 0).all()  # rounded to tens, like CBS
    # Themes are positively correlated, as in real KWB data.
    corr = published[["pct_corporation_owned", "persons_bijstand", "youth_care_pct"]].corr()
    assert (corr.to_numpy()[np.triu_indices(3, 1)] > 0.3).all()
    # Some buurten stack problems: top tercile on corporation share, youth care and Wmo at once.
    high = (
        published[["pct_corporation_owned", "youth_care_pct", "wmo_clients_per_1000"]].rank(
            pct=True
        )
        > 2 / 3
    )
    assert high.all(axis=1).sum() >= 3
    # A tiny buurt has its figures kept secret, like CBS does.
    assert buurt["pct_corporation_owned"].isna().sum() >= 1


def test_cli_demo_writes_a_geopackage_with_cbs_layers(tmp_path, capsys):
    import pyogrio

    out = tmp_path / "demo.gpkg"
    assert main(["demo", "--out", str(out)]) == 0
    layers = {name for name, _ in pyogrio.list_layers(out)}
    assert layers == {"buurten", "wijken", "gemeenten"}
    assert "Stapeldam (fictief)" in capsys.readouterr().out
    assert not list(tmp_path.glob(".*partial*"))


def test_cli_demo_rejects_bad_format_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "demo.txt"
    assert main(["demo", "--out", str(out)]) == 2
    assert "Unsupported output format" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
