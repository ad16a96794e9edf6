"""The demo gemeente's boundaries over the years, and its harmonised series (offline)."""

from __future__ import annotations

import pandas as pd
import pytest

from cbs_ingest.boundaries_load import load_boundaries
from cbs_ingest.demo import DEMO_GEMEENTE_CODE, make_demo
from cbs_ingest.demo_boundaries import (
    DEMO_CHANGE_YEAR,
    DEMO_CHANGED_WIJK,
    DEMO_RECEIVING_WIJK,
    demo_moved_buurt,
)
from cbs_ingest.demo_series import demo_series
from cbs_ingest.errors import InputError
from cbs_ingest.series_harmonise import harmonise
from cbs_ingest.series_tables import COUNT_INDICATORS, RATE_INDICATORS, RATE_SCALES

OFFLINE = "http://127.0.0.1:9"
REDRAWN = [DEMO_CHANGED_WIJK, DEMO_RECEIVING_WIJK]


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No CBS, no PDOK (closed ports), no area store, and an untouched data directory."""
    import cbs_ingest.boundaries_load as boundaries_load

    def no_store():
        raise AssertionError("the demo must not touch the area store")

    monkeypatch.setattr(boundaries_load, "open_store", no_store)
    monkeypatch.setenv("STAPELKAART_CBS_URL", OFFLINE)
    monkeypatch.setenv("STAPELKAART_PDOK_URL", OFFLINE)
    monkeypatch.setenv("STAPELKAART_HTTP_RETRIES", "1")
    data = tmp_path / "data"
    monkeypatch.setenv("STAPELKAART_DATA_DIR", str(data))
    return data


def _areas(frame) -> pd.Series:
    return frame.set_index("code").geometry.area


def test_load_boundaries_generates_the_demo_years_without_network_or_store(offline):
    got = load_boundaries([2019, 2020, 2024], ["gm9999"], levels=("gemeente", "wijk", "buurt"))
    assert sorted(got.geometries) == [2019, 2020, 2024] and not got.notes
    assert set(got.sources.values()) == {"generated (fictitious demo)"}
    demo = make_demo()
    moved = demo_moved_buurt()
    assert demo["buurt"].set_index("code").loc[moved, "wijkcode"] == DEMO_RECEIVING_WIJK
    new, old = got.geometries[2024], got.geometries[2019]
    # 2024 is the demo's KWB; before 2021 Dijkzicht also had the moved buurt
    assert _areas(new["wijk"]).to_dict() == pytest.approx(_areas(demo["wijk"]).to_dict())
    moved_area = _areas(demo["buurt"])[moved]
    assert moved_area > 10_000  # a real piece, not a sliver (at least a hectare)
    difference = _areas(old["wijk"]) - _areas(new["wijk"])
    assert difference[DEMO_CHANGED_WIJK] == pytest.approx(moved_area)
    assert difference[DEMO_RECEIVING_WIJK] == pytest.approx(-moved_area)
    assert difference.drop(index=REDRAWN).abs().max() < 1e-6
    old_dijkzicht = old["wijk"].set_index("code").geometry[DEMO_CHANGED_WIJK]
    assert old_dijkzicht.contains(demo["buurt"].set_index("code").geometry[moved].centroid)
    # the gemeente and the buurten do not change; the wijken cover the gemeente each year
    for year in (2019, 2024):
        frames = got.geometries[year]
        assert set(frames) == {"gemeente", "wijk", "buurt"}
        assert list(frames["wijk"].columns) == ["code", "name", "gemeentecode", "geometry"]
        assert frames["wijk"].crs.to_epsg() == 28992
        gemeente = frames["gemeente"].geometry.iloc[0]
        assert frames["wijk"].geometry.area.sum() == pytest.approx(gemeente.area)
        assert gemeente.equals(demo["gemeente"].geometry.iloc[0])
        assert _areas(frames["buurt"]).to_dict() == _areas(demo["buurt"]).to_dict()
    assert not offline.exists()


def test_the_demo_boundaries_are_not_mixed_with_real_gemeenten(offline):
    with pytest.raises(InputError) as error:
        load_boundaries([2019], [DEMO_GEMEENTE_CODE, "GM0505"])
    assert "fictieve voorbeeldgemeente" in error.value.nl
    assert not offline.exists()


@pytest.mark.parametrize("theme", ["wmo", "bijstand"])
def test_harmonised_values_are_what_the_geometry_gives(offline, theme):
    """A clean split: the moved buurt's share of old Dijkzicht's area goes to Centrum.

    Exact up to the floating point of the geometry operations (relative 1e-6).
    """
    first = 2019
    rows = demo_series(theme, first, 2024)

    def no_more(*_args):
        raise AssertionError("the demo gemeente has no predecessors to load")

    out, notes = harmonise(
        rows,
        codes=[DEMO_GEMEENTE_CODE],
        first=first,
        last=2024,
        level="wijk",
        load=no_more,
        refresh=False,
        progress=None,
    )
    assert any("gegenereerd (fictieve voorbeeldgemeente)" in n for n in notes)
    boundaries = load_boundaries([2020, 2024], [DEMO_GEMEENTE_CODE])
    old = _areas(boundaries.geometries[2020]["wijk"])
    new = _areas(boundaries.geometries[2024]["wijk"])
    kept = new[DEMO_CHANGED_WIJK] / old[DEMO_CHANGED_WIJK]  # new Dijkzicht in old Dijkzicht
    assert 0.8 < kept < 0.99
    count, rate = COUNT_INDICATORS[theme], RATE_INDICATORS[theme]
    scale = RATE_SCALES[rate]
    wide_in = rows[rows["level"] == "wijk"].pivot_table(
        index=["period", "code"], columns="indicator", values="value"
    )
    wijk = out[out["level"] == "wijk"]
    wide_out = wijk.pivot_table(index=["period", "code"], columns="indicator", values="value")
    periods = sorted(set(rows["period"]))
    early = [p for p in periods if int(p[:4]) < DEMO_CHANGE_YEAR]
    late = [p for p in periods if int(p[:4]) >= DEMO_CHANGE_YEAR]
    assert early and late
    for period in early:
        was = wide_in.loc[period]
        now = wide_out.loc[period]
        d_old, c_old = was.at[DEMO_CHANGED_WIJK, count], was.at[DEMO_RECEIVING_WIJK, count]
        assert now.at[DEMO_CHANGED_WIJK, count] == pytest.approx(d_old * kept, rel=1e-6)
        assert now.at[DEMO_RECEIVING_WIJK, count] == pytest.approx(
            c_old + d_old * (1 - kept), rel=1e-6
        )
        # the total of the two is preserved
        assert now.loc[REDRAWN, count].sum() == pytest.approx(was.loc[REDRAWN, count].sum())
        # rates are recomputed from the moved counts and the moved denominators
        den = was[count] * scale / was[rate]
        den_d = den[DEMO_CHANGED_WIJK] * kept
        den_c = den[DEMO_RECEIVING_WIJK] + den[DEMO_CHANGED_WIJK] * (1 - kept)
        assert now.at[DEMO_CHANGED_WIJK, rate] == pytest.approx(
            scale * now.at[DEMO_CHANGED_WIJK, count] / den_d, rel=1e-6
        )
        assert now.at[DEMO_RECEIVING_WIJK, rate] == pytest.approx(
            scale * now.at[DEMO_RECEIVING_WIJK, count] / den_c, rel=1e-6
        )
        # the other wijken are as published
        others = was.index.difference(REDRAWN)
        pd.testing.assert_frame_equal(now.loc[others], was.loc[others])
    for period in late:
        pd.testing.assert_frame_equal(wide_out.loc[period], wide_in.loc[period])
    # each area and period says how: oppervlakte before the change, nothing after
    redrawn = wijk[wijk["code"].isin(REDRAWN)]
    before = redrawn[redrawn["year"] < DEMO_CHANGE_YEAR]
    assert before["harmonised"].all() and set(before["harmonise_method"]) == {"oppervlakte"}
    assert (before["coverage"] > 0.999).all()
    assert not redrawn.loc[redrawn["year"] >= DEMO_CHANGE_YEAR, "harmonised"].any()
    assert not wijk.loc[~wijk["code"].isin(REDRAWN), "harmonised"].any()
    assert wijk["harmonise_reason"].isna().all()
    assert not offline.exists()
