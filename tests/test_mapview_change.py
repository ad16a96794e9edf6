"""The change layer's classes, colours, legend and tooltip (geo_app.mapview.change)."""

from __future__ import annotations

import json
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from geo_app.mapview import build_map
from geo_app.mapview.change import (
    CHANGE_COLOURS,
    change_classes,
    nice_step,
    signed_value,
    step_decimals,
)
from geo_app.mapview.elements import ChoroplethLayer, Legend


def _wijken(values: list[float]) -> gpd.GeoDataFrame:
    n = len(values)
    return gpd.GeoDataFrame(
        {
            "code": [f"WK0344{k:02d}" for k in range(n)],
            "name": [f"Wijk {k}" for k in range(n)],
            "value": values,
        },
        geometry=[box(140_000 + 500 * k, 455_000, 140_500 + 500 * k, 455_500) for k in range(n)],
        crs=28992,
    )


def _features(fmap) -> list[dict]:
    layer = next(c for c in fmap._children.values() if isinstance(c, ChoroplethLayer))
    return [f["properties"] for f in json.loads(layer.data_json)["features"]]


def _legend(fmap) -> str:
    legend = next(c for c in fmap._children.values() if isinstance(c, Legend))
    return json.loads(legend.html_json)


@pytest.mark.parametrize(
    ("value", "step"),
    [(0.7, 1.0), (1.0, 1.0), (1.2, 2.0), (2.2, 2.5), (3.1, 5.0), (0.031, 0.05), (60, 100), (0, 0)],
)
def test_nice_step_rounds_up_to_1_2_2_5_or_5(value, step):
    assert nice_step(value) == pytest.approx(step)


def test_step_decimals_show_the_step_exactly():
    assert [step_decimals(s) for s in (5.0, 2.5, 0.25, 0.5, 20.0)] == [0, 1, 2, 1, 0]


def test_the_step_is_a_round_third_of_the_90th_percentile_of_the_sizes():
    values = np.array([-7.0, -2.0, 0.0, 1.0, 3.0, 4.0, 5.0, 6.0, 6.5, 8.0, 40.0])
    # |x| 90th percentile = 8.0; a third is 2.67, rounded up to the next nice step: 5
    assert change_classes(values)[1] == 5.0
    assert change_classes(values / 10)[1] == 0.5
    assert change_classes(values, floor=10.0)[1] == 10.0


def test_classes_are_symmetric_around_zero_and_bounds_go_to_the_inner_class():
    values = np.array([-3.5, -3.0, -2.0, -1.5, -1.0, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 3.5, np.nan])
    classes, step = change_classes(np.concatenate([values, np.zeros(10)]))
    classes = replace(classes, index=classes.index[: len(values)])
    assert step == 1.0  # 90th percentile of |x| = 3.0, a third = 1
    got = dict(zip(values[:-1], classes.index[:-1], strict=True))
    assert [got[v] for v in (0.0, 0.5, 1.0, -1.0)] == [3, 3, 3, 3]  # ±s: the middle
    assert [got[v] for v in (1.5, 2.0, 3.0, 3.5)] == [4, 4, 5, 6]
    assert [got[v] for v in (-1.5, -2.0, -3.0, -3.5)] == [2, 2, 1, 0]
    assert classes.index[-1] == -1  # no comparison
    assert list(classes.bins[:-1]) == [-3.0, -2.0, -1.0, 1.0, 2.0, 3.0]
    assert classes.k == len(CHANGE_COLOURS) == 7


def test_a_mirrored_change_gets_the_mirrored_class():
    rng = np.random.default_rng(3)
    values = rng.normal(0, 7, 200)
    classes, _ = change_classes(np.concatenate([values, -values]))
    up, down = classes.index[:200], classes.index[200:]
    assert np.array_equal(up + down, np.full(200, 6))


def test_the_floor_keeps_noise_in_the_middle_class():
    counts = np.array([-5.0, 0.0, 5.0, 5.0, -5.0, 10.0])  # counts rounded to 5: swings of 5
    classes, step = change_classes(counts, floor=5.0)
    assert step == 5.0
    assert list(classes.index) == [3, 3, 3, 3, 3, 4]
    without, small = change_classes(counts)
    assert small < 5.0 and (without.index != 3).sum() > 1


def test_all_missing_or_all_zero_changes_do_not_break():
    classes, step = change_classes(np.array([np.nan, np.nan]))
    assert step == 1.0 and list(classes.index) == [-1, -1]
    classes, step = change_classes(np.zeros(3))
    assert list(classes.index) == [3, 3, 3]


def test_signed_value_marks_an_increase():
    assert signed_value(2.5, "per_1000") == "+2,5 per 1.000"
    assert signed_value(-2.5, decimals=1) == "-2,5"
    assert signed_value(0.01, decimals=1) == "0,0"
    assert signed_value(float("nan")) == ""


def test_change_map_colours_diverge_and_the_legend_is_dutch():
    wijken = _wijken([-12.0, -1.0, 0.0, 4.0, 9.0, np.nan])
    notes = {
        "WK034405": "geen vergelijking: grenzen gewijzigd in 2022",
        "WK034403": "geharmoniseerd",
    }
    fmap = build_map(
        wijken,
        wijken.set_index("code")["value"],
        title="Verandering sinds 2019",
        unit="per_1000",
        kind="change",
        notes=notes,
        stacking=["WK034404"],
        stacking_label="Oplopend (signaal)",
        texts={"missing": "geen vergelijking", "no_data": "geen vergelijking"},
        basemap=None,
    )
    props = {p["code"]: p for p in _features(fmap)}
    classes = [props[c]["c"] for c in wijken["code"]]
    assert classes[-1] == -1 and classes[2] == 3
    assert classes[0] < classes[1] <= 3 <= classes[3] < classes[4]
    assert props["WK034404"]["v"].startswith("+") and props["WK034400"]["v"].startswith("-")
    assert props["WK034405"]["n"].startswith("geen vergelijking")
    assert props["WK034403"]["n"] == "geharmoniseerd" and "n" not in props["WK034400"]
    assert props["WK034404"].get("s") == 1 and "s" not in props["WK034403"]
    legend = _legend(fmap)
    assert "Verandering sinds 2019 (per 1.000 inwoners)" in legend
    assert "(vrijwel gelijk)" in legend and "lager dan" in legend and "hoger dan" in legend
    assert "geen vergelijking" in legend and "Oplopend (signaal)" in legend
    for colour in CHANGE_COLOURS:
        assert colour in fmap.get_root().render()


def test_without_rising_areas_there_is_no_outline_row():
    wijken = _wijken([-1.0, 2.0])
    fmap = build_map(
        wijken,
        wijken.set_index("code")["value"],
        kind="change",
        basemap=None,
        stacking=[],
        stacking_label="Oplopend (signaal)",
    )
    assert "Oplopend" not in _legend(fmap)


def test_english_change_legend():
    from geo_app.mapview.legend import map_texts

    wijken = _wijken([-1.0, 2.0, 30.0])
    values = pd.Series(wijken["value"].to_numpy(), index=wijken["code"])
    legend = _legend(build_map(wijken, values, kind="change", texts=map_texts("en"), basemap=None))
    assert "nearly unchanged" in legend and "above" in legend and " to " in legend


# --- the app's change per area (geo_app.views.change_map.change_frame) --------------------


def _view(rows: list[tuple], flags: dict[str, object]):
    from geo_app.session.trends import SERIES_VIEW_COLUMNS, TrendView
    from models.trends import TrendRule

    series = pd.DataFrame(
        [
            {
                "code": code,
                "name": code,
                "level": "wijk",
                "gemeentecode": "GM0344",
                "theme": "wmo",
                "indicator": "wmo_clients_per_1000",
                "period": str(year),
                "year": year,
                "value": value,
                "comparable": reason is None,
                "harmonised": harmonised,
                "reason": reason,
            }
            for code, year, value, harmonised, reason in rows
        ],
        columns=list(SERIES_VIEW_COLUMNS),
    )
    trends = pd.DataFrame(
        {
            "code": list(flags),
            "theme": "wmo",
            "indicator": "wmo_clients_per_1000",
            "trend_flag": list(flags.values()),
        }
    )
    return TrendView(
        first=2019,
        last=2024,
        level="wijk",
        series=series,
        trends=trends,
        reference=pd.DataFrame(),
        notes=(),
        rule=TrendRule(),
    )


def test_change_frame_gives_the_change_or_the_reason_per_area():
    from geo_app.views.change_map import change_frame, rising_codes

    moved = "grenzen gewijzigd in 2022 (CBS-indelingswijziging 3), niet geharmoniseerd"
    view = _view(
        [
            ("WK034401", 2019, 40.0, False, None),
            ("WK034401", 2024, 47.5, False, None),
            ("WK034402", 2019, 30.0, True, None),  # harmonised onto the 2024 boundaries
            ("WK034402", 2024, 25.0, False, None),
            ("WK034403", 2019, 50.0, False, moved),
            ("WK034403", 2024, 60.0, False, None),
            ("WK034404", 2019, np.nan, False, None),  # secret in 2019
            ("WK034404", 2024, 20.0, False, None),
            ("WK034405", 2024, 20.0, False, None),  # no row for 2019 at all
            ("WK034406", 2019, 20.0, False, None),
            ("WK034406", 2024, np.nan, False, None),
        ],
        {"WK034401": True, "WK034402": False, "WK034403": np.nan},
    )
    frame = change_frame(view, "wmo", 2019)
    assert frame.loc["WK034401", "change"] == pytest.approx(7.5)
    assert frame.loc["WK034402", "change"] == pytest.approx(-5.0)
    assert bool(frame.loc["WK034402", "harmonised"]) and not frame.loc["WK034401", "harmonised"]
    assert frame["reason"].isna().sum() == 2
    assert frame.loc["WK034403", "reason"] == moved and pd.isna(frame.loc["WK034403", "change"])
    assert frame.loc["WK034404", "reason"] == "geen cijfer voor 2019 (geheim of ontbrekend)"
    assert frame.loc["WK034405", "reason"] == "gebied had in 2019 geen cijfers"
    assert frame.loc["WK034406", "reason"] == "geen cijfer voor 2024 (geheim of ontbrekend)"
    assert rising_codes(view, "wmo") == ["WK034401"]
