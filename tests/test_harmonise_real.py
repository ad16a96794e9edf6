"""Harmonisation on real CBS boundaries and series.

The national checks (every gemeente polygon, the national Wmo gemeente series) need
``../shared/data`` and skip without it; the regional ones (Drechtsteden, Rijnmond) run on
``../shared`` when present and on the fixture ``tests/fixtures/real`` otherwise.
Figures measured here (on ``../shared``) are quoted in docs/analysis.md ("Boundary changes").
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from cbs_ingest.series import normalise_table
from cbs_ingest.series_tables import (
    COUNT_INDICATORS,
    GEMEENTE_MERGERS,
    GEMEENTE_SPLITS,
    RATE_INDICATORS,
    RATE_SCALES,
    series_mergers,
    tables_for,
)
from models.harmonise import RateSpec, interpolate_areas, link_codes
from models.harmonise_series import harmonise_series
from models.trends import compute_trends
from tests._real import shared_raw

_GEMEENTEN = {
    2019: "kwb-other-years/gemeenten_2019.geojson.gz",
    2022: "kwb-other-years/gemeenten_2022.geojson.gz",
    2023: "kwb-other-years/gemeenten_2023.geojson.gz",
    2024: "nprz-app/gemeente_2024.geojson.gz",
}


def _read(path: Path, code: str) -> gpd.GeoDataFrame:
    frame = gpd.read_file(f"/vsigzip/{path}").to_crs(28992)
    frame["geometry"] = frame.geometry.make_valid()
    frame = frame.rename(columns={code: "code"})[["code", "geometry"]]
    return frame.dissolve("code").reset_index()


@lru_cache(maxsize=1)
def _gemeenten(raw: Path) -> dict[int, gpd.GeoDataFrame]:
    out = {}
    for year, name in _GEMEENTEN.items():
        frame = _read(raw / name, "gemeentecode")
        out[year] = frame[frame["code"] != "GM0998"].reset_index(drop=True)  # Buitenland
    return out


@pytest.fixture(scope="module")
def gemeenten(shared_data):
    return _gemeenten(shared_data)


def _series(raw: Path, theme: str, first: int, last: int) -> pd.DataFrame:
    """The long series of the real dumps, normalised by the real code (no server)."""
    from fake_cbs_series import series_tables_from_dumps

    specs = tables_for(theme, first, last)
    tables = series_tables_from_dumps(raw, [s.table_id for s in specs])
    frames = []
    for spec in specs:
        table = tables[spec.table_id]
        data = {"DataProperties": table.properties, "TypedDataSet": table.rows}
        data.update(table.dimensions)
        frames.append(normalise_table(spec, data)[0])
    return pd.concat(frames, ignore_index=True)


@pytest.mark.shared_data
def test_merger_table_matches_the_real_gemeente_polygons(gemeenten):
    years = sorted(gemeenten)
    first, last = gemeenten[years[0]], gemeenten[years[-1]]
    gone = set(first["code"]) - set(last["code"])
    assert gone == set(GEMEENTE_MERGERS)  # every gemeente that disappeared is in the table
    for code, (year, successor) in GEMEENTE_MERGERS.items():
        before = max(y for y in years if y < year)
        assert code in set(gemeenten[before]["code"])
        old = gemeenten[before].set_index("code").geometry[code]
        for later in (y for y in years if y >= year):
            frame = gemeenten[later].set_index("code")
            assert code not in frame.index
            inside = old.intersection(frame.geometry[successor]).area / old.area
            if code in GEMEENTE_SPLITS:
                assert inside < 0.99, code  # a split: no single successor holds it
                parts = frame.geometry[list(GEMEENTE_SPLITS[code][1])].union_all()
                assert old.intersection(parts).area / old.area >= 0.99
            else:
                assert inside >= 0.99, (code, later, inside)


@pytest.mark.shared_data
def test_haaren_split_areally_over_its_four_successors(gemeenten):
    haaren = gemeenten[2019][gemeenten[2019]["code"] == "GM0788"].assign(n=950.0, r=50.0)
    successors = gemeenten[2024].set_index("code").loc[list(GEMEENTE_SPLITS["GM0788"][1])]
    out = interpolate_areas(
        haaren,
        successors.reset_index(),
        counts=["n"],
        rates=[RateSpec("r", "n", 1000)],
        min_coverage=0.0,  # Haaren covers only part of each successor
        complete=True,  # and went whole to them
    )
    assert out["n"].sum() == pytest.approx(950.0, rel=1e-6)  # total preserved
    shares = dict(zip(successors.index, out["n"] / 950.0, strict=True))
    assert shares["GM0865"] == pytest.approx(0.450, abs=0.005)  # Vught
    assert shares["GM0824"] == pytest.approx(0.279, abs=0.005)  # Oisterwijk
    assert shares["GM0855"] == pytest.approx(0.178, abs=0.005)  # Tilburg
    assert shares["GM0757"] == pytest.approx(0.093, abs=0.005)  # Boxtel
    assert out["r"].tolist() == pytest.approx([50.0] * 4)  # a part keeps its rate


@pytest.fixture(scope="module")
def wmo_gemeenten(shared_data, gemeenten):
    rows = _series(shared_data, "wmo", 2019, 2024)
    rows = rows[rows["level"] == "gemeente"]
    mergers, splits = series_mergers()
    geometries = {y: {"gemeente": g} for y, g in gemeenten.items()}
    result = harmonise_series(
        rows,
        target_year=2024,
        counts=COUNT_INDICATORS,
        rates=RATE_INDICATORS,
        scales=RATE_SCALES,
        geometries=geometries,
        mergers=mergers,
        splits=splits,
    )
    return rows, result


def _value(rows, code, period, indicator="wmo_clients"):
    hit = rows[(rows["code"] == code) & (rows["period"] == period)]
    return hit.loc[hit["indicator"] == indicator, "value"].iloc[0]


@pytest.mark.shared_data
def test_real_gemeente_mergers_summed_exactly(wmo_gemeenten):
    rows, result = wmo_gemeenten
    out = result.rows
    for successor, parts in (("GM1980", ("GM0398", "GM0416")), ("GM0439", ("GM0439", "GM0370"))):
        for period in ("2019H1", "2020H1", "2021H1"):
            counts = [_value(rows, p, period) for p in parts]
            rates = [_value(rows, p, period, "wmo_clients_per_1000") for p in parts]
            assert _value(out, successor, period) == sum(counts)
            denominators = sum(c * 1000 / r for c, r in zip(counts, rates, strict=True))
            assert _value(out, successor, period, "wmo_clients_per_1000") == pytest.approx(
                sum(counts) * 1000 / denominators
            )
            hit = out[(out["code"] == successor) & (out["period"] == period)]
            assert set(hit["harmonise_method"]) == {"samenvoeging"} and hit["harmonised"].all()
    # unchanged gemeenten keep the published values
    assert _value(out, "GM0014", "2019H1") == _value(rows, "GM0014", "2019H1")


@pytest.mark.shared_data
def test_real_haaren_goes_to_its_successors_and_gaps_are_refused(wmo_gemeenten):
    rows, result = wmo_gemeenten
    out = result.rows
    haaren = _value(rows, "GM0788", "2020H1")
    successors = GEMEENTE_SPLITS["GM0788"][1]
    added = {s: _value(out, s, "2020H1") - _value(rows, s, "2020H1") for s in successors}
    assert all(v > 0 for v in added.values())
    assert sum(added.values()) == pytest.approx(haaren, rel=1e-6)  # Haaren's total preserved
    assert added["GM0865"] / haaren == pytest.approx(0.450, abs=0.005)  # Vught's area share
    vught = out[(out["code"] == "GM0865") & (out["period"] == "2020H1")]
    assert set(vught["harmonise_method"]) == {"oppervlakte"}
    # Eemsdelta: its three parts summed where all three are in the dump (2019H1); the whole
    # year 2019 lacks two of them (the dumps are cut off): missing, never a partial sum
    parts = [_value(rows, p, "2019H1") for p in ("GM0003", "GM0010", "GM0024")]
    assert _value(out, "GM1979", "2019H1") == sum(parts)
    assert np.isnan(_value(out, "GM1979", "2019"))
    refused = result.refused.set_index(["code", "year"])["reason"]
    assert "ontbreken" in refused[("GM0363", 2019)]  # Weesp cut off in 2019: refused
    trends = compute_trends(
        out, first=2019, last=2024, counts=COUNT_INDICATORS, rates=RATE_INDICATORS
    ).trends.set_index(["code", "indicator"])
    assert not trends.loc[("GM0363", "wmo_clients"), "comparable"]
    assert "ontbreken" in trends.loc[("GM0363", "wmo_clients"), "reason"]
    assert "bestaat niet meer" in trends.loc[("GM0788", "wmo_clients"), "reason"]
    for merged in ("GM1980", "GM1979", "GM0865"):
        assert trends.loc[(merged, "wmo_clients"), "comparable"], merged


@pytest.mark.real_data
def test_drechtsteden_unchanged_wijken_nearly_the_same(real_data, national_data):
    """2023 full-resolution buurten dissolved per wijk onto the simplified 2024 wijken.

    ../shared has the seven Drechtsteden gemeenten; the fixture four of them (Dordrecht,
    Zwijndrecht, Alblasserdam, Papendrecht), and every 2024 wijk polygon.
    """
    buurten = gpd.read_file(
        f"/vsigzip/{real_data}/voorzieningenmonitor-drechtsteden/buurten_2023_drechtsteden.geojson.gz"
    ).to_crs(28992)
    buurten = buurten[buurten["water"] != "JA"]
    buurten["geometry"] = buurten.geometry.make_valid()
    old = buurten.dissolve("wijkcode").reset_index().rename(columns={"wijkcode": "code"})
    new = _read(national_data / "nprz-app/wijk_2024.geojson.gz", "wijkcode")
    new = new[new["code"].isin(old["code"])].reset_index(drop=True)
    rows = _series(real_data, "wmo", 2023, 2023)
    h1 = rows[(rows["period"] == "2023H1") & (rows["level"] == "wijk")]
    wide = h1.pivot_table(index="code", columns="indicator", values="value")
    old = old.set_index("code").loc[new["code"]].join(wide).reset_index()
    known = old["wmo_clients"].notna() & (old["wmo_clients"] > 0)
    # Dordrecht's and Papendrecht's wijken at least (late-alphabet ones are cut off)
    assert known.sum() >= 20
    out = interpolate_areas(
        old,
        new,
        counts=["wmo_clients"],
        rates=[RateSpec("wmo_clients_per_1000", "wmo_clients", 1000)],
    )
    assert len(link_codes(old, new)) < len(new)  # simplified vs full resolution: few IoU ≥ .98
    both = known & out["wmo_clients"].notna()
    error = (out.loc[both, "wmo_clients"] / old.loc[both, "wmo_clients"] - 1).abs()
    total = out.loc[both, "wmo_clients"].sum() / old.loc[both, "wmo_clients"].sum() - 1
    print(
        f"Drechtsteden {int(both.sum())} wijken: median |error| {error.median():.1%}, "
        f"90th pct {error.quantile(0.9):.1%}, max {error.max():.1%}, total {total:+.2%}; "
        f"coverage min {out['coverage'].min():.1%}, refused {int((~out['harmonised']).sum())}"
    )
    assert error.median() < 0.05
    assert abs(total) < 0.03  # sources partly outside the simplified 2024 wijken keep that part


#: Inhabited 100 m squares: the 11 Rijnmond gemeenten of ../shared, the fixture's three.
_SQUARES = {"shared": 9_778, "fixture": 2_330}


@pytest.mark.real_data
def test_population_weights_beat_area_weights_on_real_rijnmond(real_data):
    """KWB 2024 buurt inhabitants onto the wijken, by area and by 100 m squares.

    Buurten nest in wijken, so every difference from the KWB wijk total is the error of
    the weights on two differently simplified polygon sets. ../shared has the 11 Rijnmond
    gemeenten excl. Rotterdam, the fixture Schiedam, Vlaardingen and Ridderkerk.
    """
    from cbs_ingest.population import read_population

    stats = ["code", "AantalInwoners_5"]
    buurt_stats = pd.read_parquet(
        real_data / "nprz-app/buurt_2024_stats_rijnmond_excl_rotterdam.parquet",
        columns=["buurtcode", "gemeentecode", "AantalInwoners_5"],
    ).rename(columns={"buurtcode": "code"})
    wijk_stats = pd.read_parquet(
        real_data / "nprz-app/wijk_2024_stats.parquet", columns=["wijkcode", "AantalInwoners_5"]
    ).rename(columns={"wijkcode": "code"})
    buurten = _read(
        real_data / "nprz-app/buurt_2024_rijnmond_excl_rotterdam.geojson.gz", "buurtcode"
    )
    buurten = buurten.merge(buurt_stats, on="code").rename(columns={"AantalInwoners_5": "n"})
    buurten["n"] = buurten["n"].astype(float)
    wijken = _read(real_data / "nprz-app/wijk_2024.geojson.gz", "wijkcode")
    wijken = wijken[wijken["code"].str[2:6].isin(buurten["gemeentecode"].str[2:6])]
    wijken = wijken.merge(wijk_stats[stats], on="code").reset_index(drop=True)
    path = real_data / "cbs-vierkant-pc4-2024/cbs_vk100_2024_rijnmond_excl_rotterdam.csv.gz"
    population = read_population(path)  # the CBS square layout, as the CLI reads it
    raw = pd.read_csv(path, usecols=["aantal_inwoners"])["aantal_inwoners"]
    source = "fixture" if shared_raw() is None else "shared"
    assert len(population) == raw.notna().sum() == _SQUARES[source]
    assert population["population"].sum() == raw.sum()
    assert population.geometry.area.round().eq(10_000).all()
    errors = {}
    for weights, layer in (("oppervlakte", None), ("bevolking", population)):
        out = interpolate_areas(buurten, wijken, counts=["n"], population=layer)
        assert set(out["harmonise_method"]) == {weights}
        ok = out["harmonised"] & (wijken["AantalInwoners_5"] > 0)
        errors[weights] = (out.loc[ok, "n"] / wijken.loc[ok, "AantalInwoners_5"] - 1).abs()
        print(
            f"Rijnmond {weights}: {int(ok.sum())} of {len(wijken)} wijken, median |error| "
            f"{errors[weights].median():.2%}, 90th pct {errors[weights].quantile(0.9):.1%}"
        )
    assert errors["bevolking"].median() < errors["oppervlakte"].median()
    assert errors["bevolking"].quantile(0.9) < errors["oppervlakte"].quantile(0.9)
    assert errors["bevolking"].median() < 0.01
