"""Boundary harmonisation: areal and population weights, rates, links, mergers, splits."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from models.harmonise import (
    RateSpec,
    coverage,
    interpolate_areas,
    link_codes,
    merge_gemeenten,
)
from models.harmonise_series import HARMONISE_COLUMNS, harmonise_series
from models.trends import compute_trends

PER_1000 = [RateSpec("r", "n", 1000)]


def areas(codes, boxes, **columns):
    return gpd.GeoDataFrame(
        {"code": codes, **columns}, geometry=[box(*b) for b in boxes], crs=28992
    )


# two old wijken side by side; the new boundaries cut them into three
OLD = areas(["A", "B"], [(0, 0, 100, 100), (100, 0, 200, 100)], n=[100.0, 40.0], r=[50.0, 20.0])
NEW = areas(["X", "Y", "Z"], [(0, 0, 50, 100), (50, 0, 150, 100), (150, 0, 200, 100)])


def test_areal_split_and_merge_exact():
    out = interpolate_areas(OLD, NEW, counts=["n"], rates=PER_1000)
    assert out["n"].tolist() == pytest.approx([50.0, 70.0, 20.0])
    # denominators 100*1000/50 = 2000 and 40*1000/20 = 2000; Y gets half of each
    assert out["r"].tolist() == pytest.approx([50.0, 70 * 1000 / 2000, 20.0])
    assert set(out["r_method"]) == {"herberekend"}
    assert out["harmonised"].all() and set(out["harmonise_method"]) == {"oppervlakte"}
    assert out["coverage"].tolist() == pytest.approx([1.0, 1.0, 1.0])
    assert OLD["n"].tolist() == [100.0, 40.0]  # input not modified


def test_rate_without_denominator_is_intensive_and_says_so():
    old = OLD.assign(n=[0.0, 40.0], r=[0.0, 20.0])  # 0/0: no denominator for A
    out = interpolate_areas(old, NEW, counts=["n"], rates=PER_1000)
    assert out["r_method"].tolist() == ["intensief", "intensief", "herberekend"]
    assert out["r"].tolist() == pytest.approx([0.0, 10.0, 20.0])  # area-weighted mean in Y


def test_population_weights_follow_the_people():
    squares = areas(
        ["p1", "p2", "p3", "p4"],
        [(0, 0, 50, 100), (50, 0, 100, 100), (100, 0, 150, 100), (150, 0, 200, 100)],
        population=[30.0, 10.0, 0.0, 20.0],
    )
    out = interpolate_areas(OLD, NEW, counts=["n"], rates=PER_1000, population=squares)
    # A's people live 3:1 in X:Y; B's all in Z (its part in Y is empty, so Y gets none of B)
    assert out["n"].tolist() == pytest.approx([75.0, 25.0, 40.0], abs=1e-3)
    assert out["n"].sum() == pytest.approx(140.0)
    assert set(out["harmonise_method"]) == {"bevolking"}


def test_secret_source_value_makes_the_target_missing_not_zero():
    old = OLD.assign(n=[np.nan, 40.0])
    out = interpolate_areas(old, NEW, counts=["n"], rates=PER_1000)
    assert np.isnan(out["n"].iloc[0]) and np.isnan(out["n"].iloc[1])
    assert out["n"].iloc[2] == pytest.approx(20.0)


def test_uncovered_target_is_refused_with_a_dutch_reason():
    new = areas(["X", "W"], [(0, 0, 100, 100), (150, 0, 250, 100)])
    out = interpolate_areas(OLD.iloc[[0]], new, counts=["n"], rates=PER_1000)
    assert out["harmonised"].tolist() == [True, False]
    assert np.isnan(out["n"].iloc[1])
    assert "bedekken maar 0.0%" in out["reason"].iloc[1] and "98%" in out["reason"].iloc[1]
    assert coverage(OLD, new).tolist() == pytest.approx([1.0, 0.5])


def test_bad_input_is_a_clear_value_error():
    with pytest.raises(ValueError, match="lacks the column"):
        interpolate_areas(OLD, NEW, counts=["missing"])
    with pytest.raises(ValueError, match="projected CRS"):
        interpolate_areas(OLD.to_crs(4326), NEW.to_crs(4326), counts=["n"])
    with pytest.raises(ValueError, match="not interpolated"):
        interpolate_areas(OLD, NEW, counts=[], rates=PER_1000)


def test_link_codes_needs_the_same_geometry():
    new = areas(["A2", "B2"], [(0, 0, 100, 100.5), (100, 0, 260, 100)])
    links = link_codes(OLD, new)
    assert links[["old_code", "new_code"]].values.tolist() == [["A", "A2"]]
    assert links["iou"].iloc[0] == pytest.approx(100 / 100.5)


def test_merger_sums_counts_and_recomputes_rates():
    values = pd.DataFrame(
        {"n": [10.0, 30.0, 5.0], "r": [10.0, 30.0, 5.0]}, index=["G1", "G2", "G3"]
    )
    out = merge_gemeenten(values, {"G1": "G9", "G2": "G9"}, counts=["n"], rates=PER_1000)
    assert out.index.tolist() == ["G9"]
    assert out.at["G9", "n"] == 40.0
    assert out.at["G9", "r"] == pytest.approx(40 * 1000 / (1000 + 1000))
    assert out.at["G9", "harmonise_method"] == "samenvoeging" and out.at["G9", "parts"] == "G1,G2"
    lacking = merge_gemeenten(
        values.assign(n=[np.nan, 30.0, 5.0]), {"G1": "G9", "G2": "G9"}, counts=["n"]
    )
    assert np.isnan(lacking.at["G9", "n"])  # never a sum of a part


@settings(max_examples=40, deadline=None)
@given(
    cuts=st.lists(st.integers(1, 299), min_size=1, max_size=5, unique=True),
    new_cuts=st.lists(st.integers(1, 299), min_size=1, max_size=5, unique=True),
    values=st.lists(st.integers(0, 5000), min_size=6, max_size=6),
)
def test_areal_interpolation_preserves_count_totals(cuts, new_cuts, values):
    """Source and target tile the same land: the total of a count is unchanged."""

    def strips(edges):
        edges = [0, *sorted(edges), 300]
        return [(a, 0, b, 100) for a, b in zip(edges, edges[1:], strict=False)]

    old_boxes, new_boxes = strips(cuts), strips(new_cuts)
    n = [float(v) for v in values[: len(old_boxes)]]
    old = areas([f"o{i}" for i in range(len(old_boxes))], old_boxes, n=n)
    new = areas([f"t{i}" for i in range(len(new_boxes))], new_boxes)
    out = interpolate_areas(old, new, counts=["n"])
    assert out["harmonised"].all()
    assert out["n"].sum() == pytest.approx(sum(n), rel=1e-6, abs=1e-6)  # tobler: float32 areas


# --- the long series frame ---------------------------------------------------------------

COUNTS = {"wmo": "wmo_clients"}
RATES = {"wmo": "wmo_clients_per_1000"}
SCALES = {"wmo_clients_per_1000": 1000}


def series(values: dict[str, dict[int, tuple[float, float]]], flags=None, level="wijk"):
    """Long rows: ``{code: {year: (count, rate)}}``; ``flags`` ``{(code, year): flag}``."""
    records = []
    for code, years in values.items():
        for year, (count, rate) in years.items():
            base = {
                "code": code,
                "name": f"Wijk {code}",
                "level": level,
                "gemeentecode": "GM" + code[2:6] if level != "gemeente" else code,
                "theme": "wmo",
                "period": f"{year}H1",
                "year": year,
                "period_kind": "halfyear",
                "boundary_change": (flags or {}).get((code, year), 1.0),
                "table_id": f"T{year}",
            }
            records.append(base | {"indicator": "wmo_clients", "value": count})
            records.append(base | {"indicator": "wmo_clients_per_1000", "value": rate})
    return pd.DataFrame.from_records(records)


def geo(codes, boxes):
    return areas(codes, boxes)


def test_series_split_of_a_wijk_exact_and_trend_comparable():
    # WK999901 unchanged; WK999902 split in 2022 into WK999902 and WK999903
    years = range(2019, 2025)
    values = {
        "WK999901": {y: (100.0, 50.0) for y in years},
        "WK999902": {y: (200.0 + 40 * (y - 2019), 40.0) for y in years},
        "WK999903": {y: (60.0, 30.0) for y in range(2022, 2025)},
    }
    flags = {("WK999902", 2022): 3.0, ("WK999903", 2022): 3.0}
    old = geo(["WK999901", "WK999902"], [(0, 0, 100, 100), (100, 0, 300, 100)])
    new = geo(
        ["WK999901", "WK999902", "WK999903"],
        [(0, 0, 100, 100), (100, 0, 200, 100), (200, 0, 300, 100)],
    )
    geometries = {
        2019: {"wijk": old},
        2020: {"wijk": old},
        2021: {"wijk": old},
        2024: {"wijk": new},
    }
    rows = series(values, flags)
    result = harmonise_series(
        rows, target_year=2024, counts=COUNTS, rates=RATES, scales=SCALES, geometries=geometries
    )
    out = result.rows
    assert list(out.columns[-len(HARMONISE_COLUMNS) :]) == list(HARMONISE_COLUMNS)
    count = out[out["indicator"] == "wmo_clients"].set_index(["code", "year"])["value"]
    # 2019: 200 split by area, half each
    assert count[("WK999902", 2019)] == pytest.approx(100.0)
    assert count[("WK999903", 2019)] == pytest.approx(100.0)
    assert count[("WK999902", 2021)] == pytest.approx(140.0)
    assert count[("WK999901", 2019)] == 100.0  # unchanged, as published
    rate = out[out["indicator"] == "wmo_clients_per_1000"].set_index(["code", "year"])
    assert rate.loc[("WK999903", 2019), "value"] == pytest.approx(40.0)
    assert rate.loc[("WK999903", 2019), "interpolation"] == "herberekend"
    meta = out.set_index(["code", "year", "indicator"])
    assert meta.loc[("WK999903", 2019, "wmo_clients"), "harmonise_method"] == "oppervlakte"
    assert not meta.loc[("WK999901", 2019, "wmo_clients"), "harmonised"]
    assert meta.loc[("WK999903", 2023, "wmo_clients"), "harmonised"] == False  # noqa: E712
    assert result.refused.empty
    trends = compute_trends(out, first=2019, last=2024, counts=COUNTS, rates=RATES).trends
    assert trends["comparable"].all(), trends["reason"].tolist()


def test_series_without_old_geometry_is_refused_with_the_reason():
    years = range(2019, 2025)
    values = {
        "WK999902": {y: (200.0, 40.0) for y in years},
        "WK999903": {y: (60.0, 30.0) for y in range(2022, 2025)},
    }
    flags = {("WK999902", 2022): 3.0, ("WK999903", 2022): 3.0}
    new = geo(["WK999902", "WK999903"], [(100, 0, 200, 100), (200, 0, 300, 100)])
    result = harmonise_series(
        series(values, flags),
        target_year=2024,
        counts=COUNTS,
        rates=RATES,
        scales=SCALES,
        geometries={2024: {"wijk": new}},
    )
    assert "geen grenzen van 2019" in set(result.refused["reason"].str[-21:])
    trends = compute_trends(result.rows, first=2019, last=2024, counts=COUNTS, rates=RATES)
    assert not trends.trends["comparable"].any()
    assert trends.trends["reason"].str.contains("geen grenzen van 20").all()
    assert trends.trends["slope"].isna().all()


def test_series_code_change_linked_when_the_geometry_is_the_same():
    values = {
        "WK999904": {2019: (80.0, 20.0), 2020: (90.0, 22.0)},
        "WK999905": {2021: (95.0, 23.0), 2022: (99.0, 24.0)},
    }
    flags = {("WK999905", 2021): 2.0}
    old = geo(["WK999904"], [(0, 0, 100, 100)])
    geometries = {
        2019: {"wijk": old},
        2020: {"wijk": old},
        2022: {"wijk": geo(["WK999905"], [(0, 0, 100, 99.5)])},
    }
    out = harmonise_series(
        series(values, flags),
        target_year=2022,
        counts=COUNTS,
        rates=RATES,
        scales=SCALES,
        geometries=geometries,
    ).rows
    linked = out[(out["code"] == "WK999905") & (out["indicator"] == "wmo_clients")]
    assert linked["value"].tolist() == [80.0, 90.0, 95.0, 99.0]
    assert linked["harmonise_method"].tolist() == ["koppeling", "koppeling", None, None]
    assert linked["interpolation"].tolist() == ["gekoppeld", "gekoppeld", None, None]
    # a different geometry: refused, not linked
    geometries[2022] = {"wijk": geo(["WK999905"], [(0, 0, 100, 150)])}
    result = harmonise_series(
        series(values, flags),
        target_year=2022,
        counts=COUNTS,
        rates=RATES,
        scales=SCALES,
        geometries=geometries,
    )
    assert result.refused["reason"].str.contains("geen oude code met dezelfde grenzen").any()


def test_series_gemeente_merger_and_split():
    years = (2020, 2021)
    values = {
        "GM0001": {2020: (10.0, 10.0)},  # merged into GM0003 in 2021
        "GM0002": {2020: (30.0, 30.0)},  # merged into GM0003 in 2021
        "GM0003": {2021: (45.0, 20.0)},
        "GM0004": {2020: (100.0, 50.0)},  # split over GM0005 and GM0006 in 2021
        "GM0005": {y: (20.0, 10.0) for y in years},
        "GM0006": {y: (20.0, 10.0) for y in years},
    }
    g2020 = geo(
        ["GM0004", "GM0005", "GM0006"], [(0, 0, 100, 100), (-100, 0, 0, 100), (100, 0, 200, 100)]
    )
    g2021 = geo(["GM0005", "GM0006"], [(-100, 0, 25, 100), (25, 0, 200, 100)])
    result = harmonise_series(
        series(values, level="gemeente"),
        target_year=2021,
        counts=COUNTS,
        rates=RATES,
        scales=SCALES,
        geometries={2020: {"gemeente": g2020}, 2021: {"gemeente": g2021}},
        mergers={
            "GM0001": (2021, "GM0003"),
            "GM0002": (2021, "GM0003"),
            "GM0004": (2021, "GM0005"),
        },
        splits={"GM0004": (2021, ("GM0005", "GM0006"))},
    )
    out = result.rows[result.rows["year"] == 2020].set_index(["code", "indicator"])
    assert out.loc[("GM0003", "wmo_clients"), "value"] == 40.0
    assert out.loc[("GM0003", "wmo_clients"), "harmonise_method"] == "samenvoeging"
    # dens: 1000 + 1000 -> 40 * 1000 / 2000
    assert out.loc[("GM0003", "wmo_clients_per_1000"), "value"] == pytest.approx(20.0)
    assert out.loc[("GM0005", "wmo_clients"), "value"] == pytest.approx(20 + 25)
    assert out.loc[("GM0006", "wmo_clients"), "value"] == pytest.approx(20 + 75)
    assert out.loc[("GM0006", "wmo_clients"), "harmonise_method"] == "oppervlakte"
    total = out.xs("wmo_clients", level="indicator")["value"]
    assert total[["GM0003", "GM0005", "GM0006"]].sum() == pytest.approx(10 + 30 + 100 + 40)
    assert set(result.refused["code"]) == {"GM0001", "GM0002", "GM0004"}
    assert result.refused["reason"].str.contains("bestaat niet meer").all()
    # without the boundaries to share Haaren-like GM0004 out, its successors are refused for
    # 2020 and keep their own published rows
    result = harmonise_series(
        series(values, level="gemeente"),
        target_year=2021,
        counts=COUNTS,
        rates=RATES,
        scales=SCALES,
        mergers={"GM0001": (2021, "GM0003"), "GM0002": (2021, "GM0003")},
        splits={"GM0004": (2021, ("GM0005", "GM0006"))},
    )
    out = result.rows[result.rows["year"] == 2020].set_index(["code", "indicator"])
    assert out.loc[("GM0005", "wmo_clients"), "value"] == 20.0
    assert "is gesplitst" in out.loc[("GM0005", "wmo_clients"), "harmonise_reason"]
    assert out.loc[("GM0003", "wmo_clients"), "value"] == 40.0  # the merger needs no geometry


def test_part_of_a_source_outside_the_targets_is_not_given_to_them():
    # B's right half went to an area that was not asked for: only half of B reaches Y
    new = areas(["X", "Y"], [(0, 0, 100, 100), (100, 0, 150, 100)])
    out = interpolate_areas(OLD, new, counts=["n"], rates=PER_1000)
    assert out["n"].tolist() == pytest.approx([100.0, 20.0])
    whole = interpolate_areas(OLD, new, counts=["n"], rates=PER_1000, complete=True)
    assert whole["n"].tolist() == pytest.approx([100.0, 40.0])
    squares = areas(["p1", "p2"], [(100, 0, 150, 100), (150, 0, 200, 100)], population=[1.0, 3.0])
    weighted = interpolate_areas(OLD, new, counts=["n"], population=squares)
    assert weighted["n"].iloc[1] == pytest.approx(10.0, abs=1e-3)  # a quarter of B's people


def test_series_new_area_without_flag_is_interpolated_and_refused_area_keeps_its_rows():
    # 2020: wijken 01 and 02; 2021: a new wijk 03 (no CBS flag) cut from 02, which is flagged;
    # wijk 04 is flagged but its old geometry covers only half of the new one: refused
    values = {
        "WK999901": {2020: (100.0, 50.0), 2021: (100.0, 50.0)},
        "WK999902": {2020: (200.0, 40.0), 2021: (100.0, 40.0)},
        "WK999903": {2021: (100.0, 40.0)},
        "WK999904": {2020: (80.0, 20.0), 2021: (90.0, 20.0)},
    }
    flags = {("WK999902", 2021): 3.0, ("WK999904", 2021): 3.0}
    old = geo(
        ["WK999901", "WK999902", "WK999904"],
        [(0, 0, 100, 100), (100, 0, 300, 100), (300, 0, 350, 100)],
    )
    new = geo(
        ["WK999901", "WK999902", "WK999903", "WK999904"],
        [(0, 0, 100, 100), (100, 0, 200, 100), (200, 0, 300, 100), (300, 0, 400, 100)],
    )
    result = harmonise_series(
        series(values, flags),
        target_year=2021,
        counts=COUNTS,
        rates=RATES,
        scales=SCALES,
        geometries={2020: {"wijk": old}, 2021: {"wijk": new}},
    )
    out = result.rows[result.rows["indicator"] == "wmo_clients"].set_index(["code", "year"])
    assert out.loc[("WK999903", 2020), "value"] == pytest.approx(100.0)
    assert out.loc[("WK999903", 2020), "harmonise_method"] == "oppervlakte"
    refused = result.refused.set_index("code")["reason"]
    assert set(refused.index) == {"WK999904"}
    assert refused["WK999904"].startswith("grenzen gewijzigd in 2021 (CBS-indelingswijziging 3)")
    assert "bedekken maar 50.0%" in refused["WK999904"]
    assert out.loc[("WK999904", 2020), "value"] == 80.0  # as published, with the reason
    assert not out.loc[("WK999904", 2020), "harmonised"]
    assert out.loc[("WK999904", 2021), "harmonise_reason"] == refused["WK999904"]
