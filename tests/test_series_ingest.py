"""Multi-year social-domain series: registry, quirks, bad input, the real dumps via OData."""

from __future__ import annotations

import csv
import gzip
import math

import pytest

from cbs_ingest.errors import InputError
from cbs_ingest.series import fetch_series, normalise_code, parse_period
from cbs_ingest.series_tables import SERIES_TABLES, series_table, tables_for


@pytest.fixture
def series_server(monkeypatch, tmp_path):
    """A fake CBS server; tests put their tables in ``state.tables``."""
    from fake_cbs import FakeCbs, FakeCbsServer

    with FakeCbsServer(FakeCbs(page_size=10_000)) as server:
        monkeypatch.setenv("STAPELKAART_CBS_URL", server.url)
        monkeypatch.setenv("STAPELKAART_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.setenv("STAPELKAART_HTTP_RETRIES", "2")
        monkeypatch.setenv("STAPELKAART_HTTP_BACKOFF", "0.01")
        yield server.state


def test_registry_covers_every_theme_and_year_once():
    seen = {(t.theme, t.year) for t in SERIES_TABLES.values()}
    assert len(seen) == len(SERIES_TABLES)
    for theme in ("wmo", "jeugdzorg", "voorzieningen"):
        assert [t.year for t in tables_for(theme, 2016, 2024)] == list(range(2016, 2025))
    assert [t.year for t in tables_for("bijstand", 2019, 2024)] == list(range(2019, 2025))


@pytest.mark.parametrize(
    ("key", "title", "expected"),
    [
        ("2016HJ01", None, ("2016H1", 2016, "halfyear")),
        ("2016JJ00", None, ("2016", 2016, "year")),
        ("2019MM06", None, ("2019Q2", 2019, "quarter")),
        ("2019KW04", None, ("2019Q4", 2019, "quarter")),
        ("x", "2e halfjaar 2023", ("2023H2", 2023, "halfyear")),
        ("x", "2024 september", ("2024Q3", 2024, "quarter")),
        ("x", "2021", ("2021", 2021, "year")),
        ("2019MM05", None, None),
        ("x", "Totaal", None),
    ],
)
def test_periods_are_periods_not_years(key, title, expected):
    assert parse_period(key, title) == expected


def test_codes_lose_every_padding():
    assert normalise_code("GM    0363") == "GM0363"
    assert normalise_code(" wk  036300 ") == "WK036300"
    assert normalise_code("   ") is None


def test_bad_input_is_one_clear_line(series_server):
    with pytest.raises(InputError, match="Unknown social-domain table '12345NED'"):
        series_table("12345NED")
    with pytest.raises(InputError, match="No bijstand table for 2017, 2018"):
        fetch_series("bijstand", 2017, 2020, ["GM0202"])
    with pytest.raises(InputError, match="wrong way round"):
        fetch_series("wmo", 2023, 2019, ["GM0363"])
    with pytest.raises(InputError, match="GM0457 was merged away"):
        fetch_series("wmo", 2019, 2023, ["GM0457"])
    with pytest.raises(InputError, match="no buurt figures"):
        fetch_series("wmo", 2019, 2020, ["GM0363"], level="buurt")
    for error in (InputError("x"),):
        assert "\n" not in str(error)
    assert series_server.log == []  # refused before any request


def test_tiny_table_quirks(series_server):
    from fake_cbs_series import tiny_series_tables

    series_server.tables.update(tiny_series_tables())
    series = fetch_series("wmo", 2020, 2021, ["GM9998"])
    rows = series.rows.set_index(["code", "period", "indicator"])
    assert set(series.rows["code"]) == {"GM9998", "WK999801", "WK999802"}  # 'GM    9998' too
    assert rows.loc[("WK999801", "2020H1", "wmo_clients"), "value"] == 400.0  # not the PGB slice
    assert rows.loc[("WK999801", "2021H1", "wmo_clients"), "value"] == 410.0  # region cols last
    assert math.isnan(rows.loc[("WK999802", "2020H1", "wmo_clients"), "value"])  # '.' is missing
    assert math.isnan(rows.loc[("WK999801", "2021H1", "wmo_clients_per_1000"), "value"])  # empty
    assert rows.loc[("WK999801", "2020", "wmo_clients"), "period_kind"] == "year"
    assert rows.loc[("WK999802", "2021H1", "wmo_clients"), "boundary_change"] == 3.0
    assert rows.loc[("WK999801", "2021H1", "wmo_clients"), "name"] == "Wijk 01 Centrum"
    assert series.missing == {"84907NED": {".": 2}, "85046NED": {"null": 1}}
    assert series.tables == {2020: "84907NED", 2021: "85046NED"}
    # the gemeente filter reached the server
    assert series_server.count("startswith%28Wijken%2C%27WK9998") == 2
    assert series.notes == []


def test_unknown_gemeente_is_refused(series_server):
    from fake_cbs_series import tiny_series_tables

    series_server.tables.update(tiny_series_tables())
    with pytest.raises(InputError, match="kent gemeente|has gemeente GM0001"):
        fetch_series("wmo", 2020, 2021, ["GM0001"])


# --- the real dumps, served by the local OData server -----------------------------------


@pytest.fixture(scope="module")
def dump_tables(real_data):
    """``load(theme, first, last)``: the real dumps of those tables (built once each).

    From ``../shared`` the national dumps, else the fixture's rows of eight gemeenten.
    """
    from fake_cbs_series import series_tables_from_dumps

    raw = real_data
    built: dict = {}

    def load(theme, first, last):
        ids = [t.table_id for t in tables_for(theme, first, last) if t.table_id not in built]
        built.update(series_tables_from_dumps(raw, ids))
        return built

    return load


def _dump_rows(raw, prefix):
    path = next((raw / "cbs-sociaal-domein-wijken").glob(f"{prefix}*.csv.gz"))
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


@pytest.mark.real_data
def test_real_wmo_series_of_amsterdam_matches_the_dumps(series_server, dump_tables, real_data):
    series_server.tables.update(dump_tables("wmo", 2016, 2024))
    series = fetch_series("wmo", 2016, 2024, ["GM0363"])
    rows = series.rows
    assert sorted(rows["year"].unique()) == list(range(2016, 2025))
    h1 = rows[(rows["indicator"] == "wmo_clients") & rows["period"].str.endswith("H1")]
    assert h1.groupby("year")["code"].nunique().min() > 5
    # every value equals the dump's cell for that code and period (2021: 'GM    0363' padding)
    for prefix, year in (("85046NED", 2021), ("83620NED", 2016), ("85995NED", 2024)):
        dump = {
            (normalise_code(r["Codering_3"]), r["Perioden"]): r["WmoClienten_5"]
            for r in _dump_rows(real_data, prefix)
            if r["Financieringsvorm"] == "Totaal" and (r["Codering_3"] or "").strip()
        }
        got = h1[h1["year"] == year]
        assert len(got) > 5
        for row in got.itertuples():
            cell = dump[(row.code, f"1e halfjaar {year}")]
            assert (math.isnan(row.value) and cell == "") or row.value == float(cell)
    assert set(rows.loc[rows["level"] == "gemeente", "code"]) == {"GM0363"}


@pytest.mark.real_data
def test_real_youth_care_with_region_columns_last(series_server, dump_tables):
    series_server.tables.update(dump_tables("jeugdzorg", 2019, 2024))
    series = fetch_series("jeugdzorg", 2019, 2024, ["GM1680"])
    counts = series.rows[series.rows["indicator"] == "youth_care_clients"]
    assert counts["code"].str.startswith("WK1680").sum() > 20
    assert (counts["value"].dropna() % 5 == 0).all()  # CBS rounds counts to 5
    assert counts.loc[counts["code"] == "GM1680", "value"].notna().all()


@pytest.mark.real_data
def test_real_benefits_per_buurt_by_quarter(series_server, dump_tables):
    series_server.tables.update(dump_tables("bijstand", 2019, 2024))
    series = fetch_series("bijstand", 2019, 2024, ["GM0202"], level="buurt")
    rows = series.rows
    assert set(rows["level"]) == {"gemeente", "buurt"}
    assert set(rows["period_kind"]) == {"quarter"}
    assert "2024Q4" not in set(rows["period"])  # the 2024 table stops in September
    assert rows.loc[rows["period"] == "2021Q2", "code"].str.startswith("BU0202").sum() > 50


@pytest.mark.real_data
def test_real_trends_refuse_amsterdam_and_keep_a_stable_gemeente(series_server, dump_tables):
    from cbs_ingest.series_tables import (
        COUNT_INDICATORS,
        GEMEENTE_MERGERS,
        RATE_INDICATORS,
        SERIES_BREAKS,
    )
    from models.trends import compute_trends

    series_server.tables.update(dump_tables("wmo", 2017, 2024))
    rows = fetch_series("wmo", 2017, 2024, ["GM0363", "GM1680"]).rows
    options = dict(
        counts=COUNT_INDICATORS,
        rates=RATE_INDICATORS,
        breaks=SERIES_BREAKS,
        mergers=GEMEENTE_MERGERS,
    )
    out = compute_trends(rows, first=2017, last=2024, **options).trends
    wijken = out[(out["level"] == "wijk") & (out["indicator"] == "wmo_clients")]
    amsterdam = wijken[wijken["gemeentecode"] == "GM0363"]
    # Amsterdam redrew and recoded its wijken in 2022-2023: no wijk gets a trend
    assert len(amsterdam) > 50 and amsterdam["reason"].notna().all()
    assert amsterdam["reason"].str.contains("2023").sum() > 50
    assert amsterdam["trend_flag"].isna().all()
    stable = wijken[wijken["gemeentecode"] == "GM1680"]
    assert stable["comparable"].sum() >= 5
    assert stable.loc[stable["comparable"], "slope"].notna().all()


def test_a_server_rejecting_filters_gets_the_whole_table(series_server):
    from fake_cbs_series import tiny_series_tables

    series_server.tables.update(tiny_series_tables())
    series_server.reject_filters = True
    series = fetch_series("wmo", 2020, 2021, ["GM9998"])
    assert len(series.notes) == 2 and "de hele tabel is opgehaald" in series.notes[0]
    assert set(series.rows["gemeentecode"]) == {"GM9998"}


def test_a_table_without_a_needed_column_is_a_source_change(series_server):
    from fake_cbs_series import _TINY_2020, build_table, tiny_series_tables

    from cbs_ingest.errors import SourceChangedError

    header, records = _TINY_2020
    keep = [i for i, name in enumerate(header) if not name.startswith("WmoClientenPer1000")]
    thinner = build_table(
        "84907NED", [header[i] for i in keep], [[r[i] for i in keep] for r in records]
    )
    series_server.tables.update(tiny_series_tables() | {"84907NED": thinner})
    with pytest.raises(SourceChangedError, match="84907NED no longer has .*per_1000"):
        fetch_series("wmo", 2020, 2021, ["GM9998"])
