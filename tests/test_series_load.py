"""Series from the area store first: ``stapelkaart trends`` offline after one fetch.

The fake CBS server serves the tiny in-code Wmo tables (and, marked ``real_data``, the
real dumps); after a fetch the server is stopped and the environment points CBS at a
closed port, as a user without network would have it.
"""

from __future__ import annotations

import pandas as pd
import pytest
from fake_cbs import FakeCbs, FakeCbsServer
from fake_cbs_series import tiny_series_tables

from cbs_ingest.errors import InputError
from cbs_ingest.series import fetch_series
from cbs_ingest.series_load import load_series
from cbs_ingest.store import open_store
from geo_app.cli import main
from layers.export import read_csv_table

OFFLINE = "http://127.0.0.1:9"
TINY = ["--from", "2020", "--to", "2021", "--theme", "wmo"]


@pytest.fixture
def data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("STAPELKAART_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("STAPELKAART_HTTP_RETRIES", "1")
    monkeypatch.setenv("STAPELKAART_HTTP_BACKOFF", "0.01")
    return tmp_path / "data"


def _serve(monkeypatch, tables):
    server = FakeCbsServer(FakeCbs(tables=tables, page_size=10_000))
    monkeypatch.setenv("STAPELKAART_CBS_URL", server.url)
    return server


def _offline(monkeypatch) -> None:
    monkeypatch.setenv("STAPELKAART_CBS_URL", OFFLINE)


@pytest.mark.parametrize("where", [["--municipality", "GM9998"], ["--whole-country"]])
def test_trends_work_offline_after_one_fetch(data_dir, monkeypatch, tmp_path, capsys, where):
    with _serve(monkeypatch, tiny_series_tables()) as server:
        first = tmp_path / "first.csv"
        assert main(["trends", *where, *TINY, "--out", str(first)]) == 0
        fetched = server.state.count("TypedDataSet")
    assert fetched >= 2  # both years' rows came from CBS
    _offline(monkeypatch)
    capsys.readouterr()
    again = tmp_path / "again.csv"
    assert main(["trends", *where, *TINY, "--out", str(again)]) == 0
    pd.testing.assert_frame_equal(read_csv_table(again), read_csv_table(first))
    header = again.read_text(encoding="utf-8").splitlines()[:40]
    assert any("uit de gebiedsopslag" in line for line in header)
    assert "CBS-tabel" not in capsys.readouterr().err  # no table was fetched
    records = open_store().series_records()
    assert {(r.table_id, r.code) for r in records} == {
        ("84907NED", "GM9998"),
        ("85046NED", "GM9998"),
    }
    assert all(r.rows > 0 and r.cbs_url.startswith("http://127.0.0.1") for r in records)
    # --refresh needs CBS again: one line, and the stored series stay as they were
    assert main(["trends", *where, *TINY, "--refresh", "--out", str(tmp_path / "x.csv")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    errors = [line for line in err if not line.startswith("[")]  # not progress
    assert len(errors) == 1 and errors[0].startswith("stapelkaart: error:")
    assert open_store().series_records() == records and not (tmp_path / "x.csv").exists()


def test_a_subset_of_a_whole_country_fetch_is_served_offline(data_dir, monkeypatch):
    with _serve(monkeypatch, tiny_series_tables()):
        whole = load_series("wmo", 2020, 2021, None)
    _offline(monkeypatch)
    one = load_series("wmo", 2020, 2021, ["GM9998"])
    keys = ["code", "indicator", "period"]
    expected = whole.rows.sort_values(keys).reset_index(drop=True)
    got = one.rows.sort_values(keys).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected)
    assert one.tables == whole.tables == {2020: "84907NED", 2021: "85046NED"}


def test_bad_input_stores_nothing(data_dir, monkeypatch):
    with _serve(monkeypatch, tiny_series_tables()):
        with pytest.raises(InputError, match="GM0001"):
            load_series("wmo", 2020, 2021, ["GM0001"])
        with pytest.raises(InputError, match="GM0001"):  # with a stored one next to it
            load_series("wmo", 2020, 2021, ["GM9998", "GM0001"])
    assert open_store().series_records() == []
    assert not data_dir.exists()


@pytest.mark.real_data
def test_only_missing_gemeenten_are_fetched(data_dir, monkeypatch, real_data):
    from fake_cbs_series import series_tables_from_dumps

    from cbs_ingest.series_tables import tables_for

    tables = series_tables_from_dumps(
        real_data, [t.table_id for t in tables_for("wmo", 2020, 2022)]
    )
    with _serve(monkeypatch, tables) as server:
        load_series("wmo", 2020, 2022, ["GM0363"])
        server.state.log.clear()
        both = load_series("wmo", 2020, 2022, ["GM0363", "GM1680"])
        assert server.state.count("1680") >= 3 and server.state.count("0363") == 0
        direct = fetch_series("wmo", 2020, 2022, ["GM0363", "GM1680"])
        server.state.log.clear()
        load_series("wmo", 2020, 2022, ["GM1680"], refresh=True)
        assert server.state.count("1680") >= 3
    keys = ["code", "indicator", "period"]
    pd.testing.assert_frame_equal(
        both.rows.sort_values(keys).reset_index(drop=True),
        direct.rows.sort_values(keys).reset_index(drop=True),
    )
    assert set(both.rows["gemeentecode"]) == {"GM0363", "GM1680"}
    _offline(monkeypatch)
    offline = load_series("wmo", 2020, 2022, ["GM1680", "GM0363"])
    assert len(offline.rows) == len(both.rows)


def test_data_list_shows_stored_series(data_dir, monkeypatch, tmp_path, capsys):
    with _serve(monkeypatch, tiny_series_tables()):
        assert main(["trends", "-m", "GM9998", *TINY, "--out", str(tmp_path / "t.csv")]) == 0
    capsys.readouterr()
    assert main(["data", "list"]) == 0
    out = capsys.readouterr().out
    assert "wmo per wijk (84907NED, 85046NED): 1 gemeente, 2020H1–2021H1 (3 periods)" in out
    values = len(read_csv_table(tmp_path / "t.csv"))  # one row per stored value
    assert f"  GM9998: 2 tables, {values} values, 2020H1–2021H1 (3 periods); retrieved" in out
    assert " s old)" in out or " min old)" in out
    assert "source: CBS http://127.0.0.1" in out
    assert main(["data", "list", "-y", "2021", "-m", "GM9998"]) == 0
    assert "(85046NED): 1 gemeente, period 2021H1" in capsys.readouterr().out
    assert main(["data", "list", "-y", "2019"]) == 0
    assert "nothing stored for this selection" in capsys.readouterr().out


def test_a_table_without_rows_for_the_gemeente_keeps_the_dtypes(data_dir, monkeypatch):
    """Zwijndrecht has only 2024 in the fixture: the empty tables of 2016-2023 must not
    turn ``year`` into object, fetched or stored, and the trends are refused, not broken."""
    from _real import FIXTURE_RAW
    from fake_cbs_series import series_tables_from_dumps

    from cbs_ingest.series import SERIES_DTYPES
    from cbs_ingest.series_tables import COUNT_INDICATORS, RATE_INDICATORS, tables_for
    from models.trends import compute_trends

    ids = [t.table_id for t in tables_for("wmo", 2016, 2024)]
    with _serve(monkeypatch, series_tables_from_dumps(FIXTURE_RAW, ids)):
        fetched = load_series("wmo", 2016, 2024, ["GM0642"])
    _offline(monkeypatch)
    stored = load_series("wmo", 2016, 2024, ["GM0642"])
    wanted = {column: pd.api.types.pandas_dtype(d) for column, d in SERIES_DTYPES.items()}
    for series in (fetched, stored):
        assert set(series.rows["year"]) == {2024}
        assert "83620NED (2016) heeft geen rijen voor GM0642." in series.notes  # Dutch
        assert dict(series.rows.dtypes) == wanted
        trends = compute_trends(
            series.rows, first=2016, last=2024, counts=COUNT_INDICATORS, rates=RATE_INDICATORS
        ).trends
        wijken = trends[trends["level"] == "wijk"]
        assert len(wijken) and not wijken["comparable"].any()
        assert wijken["reason"].str.startswith("te weinig jaren").all()
