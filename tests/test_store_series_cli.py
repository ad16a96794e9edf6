"""``stapelkaart data list`` / ``remove`` for the stored social-domain series.

Every test runs once per backend: the embedded store in the data directory, and
PostgreSQL in a throw-away cluster (skipped, saying why, without the binaries), chosen
through the environment as a user would.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from cbs_ingest.series import SERIES_COLUMNS
from cbs_ingest.store import open_store
from geo_app.cli import main

OLD = (datetime.now(UTC) - timedelta(days=40)).isoformat()
NEW = datetime.now(UTC).isoformat()
#: (table, theme, year, period) of the tables put in the store.
TABLES = (
    ("85046NED", "wmo", 2021, "2021H1"),
    ("85376NED", "wmo", 2022, "2022H1"),
    ("85375NED", "voorzieningen", 2022, "2022H1"),
)


@pytest.fixture
def store(area_store):
    """A fresh area store of each backend (``area_store`` in conftest)."""
    return area_store


def _rows(table: str, theme: str, year: int, period: str, gemeente: str) -> pd.DataFrame:
    records = [
        (code, f"{code} naam", level, gemeente, theme, f"{theme}_count", period, year, "halfyear")
        + (10.0, 1.0 if level == "wijk" else float("nan"), table)
        for code, level in ((gemeente, "gemeente"), (f"WK{gemeente[2:]}01", "wijk"))
    ]
    return pd.DataFrame.from_records(records, columns=list(SERIES_COLUMNS))


def _fill(store) -> None:
    """Three tables of GM0001 and GM0002; 85375NED as a whole-country fetch, 40 days old."""
    for table, theme, year, period in TABLES:
        whole = table == "85375NED"
        rows = pd.concat([_rows(table, theme, year, period, g) for g in ("GM0001", "GM0002")])
        store.put_series(
            rows,
            table_id=table,
            theme=theme,
            level="wijk",
            gemeenten=["GM0001", "GM0002"],
            provenance={"cbs_url": "http://cbs.test", "retrieved_at": OLD if whole else NEW},
            whole_country=whole,
        )


def _held(store) -> set[tuple[str, str]]:
    return {(r.table_id, r.code) for r in store.series_records()}


def test_list_shows_each_table_with_its_gemeenten_and_age(store, capsys):
    _fill(store)
    capsys.readouterr()
    assert main(["data", "list"]) == 0
    out = capsys.readouterr().out
    assert "voorzieningen per wijk (85375NED): the whole country, 2 gemeenten" in out
    assert "  table 85375NED: the whole country, period 2022H1; retrieved " in out
    assert "(40.0 days old)" in out  # staleness is visible
    assert "wmo per wijk (85046NED, 85376NED): 2 gemeenten" in out
    assert "  table 85046NED: 2 gemeenten, period 2021H1; retrieved " in out
    assert main(["data", "list", "-m", "GM0002"]) == 0
    out = capsys.readouterr().out
    assert "  table 85375NED: 1 gemeente, period 2022H1" in out  # a selection is not whole


def test_remove_series_by_gemeente_table_and_year(store, capsys):
    _fill(store)
    everything = _held(store)
    assert main(["data", "remove", "--series", "-m", "GM0001"]) == 0
    assert "Removed the series of 3 table(s)" in capsys.readouterr().out
    assert _held(store) == {t for t in everything if t[1] == "GM0002"}
    # the whole-country table is no longer served whole
    assert store.series_complete() == set()
    assert main(["data", "remove", "--series", "--table", "85046ned"]) == 0
    assert ("85046NED", "GM0002") not in _held(store)
    assert main(["data", "remove", "--series", "-y", "2022", "-m", "GM0002"]) == 0
    assert _held(store) == set()
    capsys.readouterr()
    # nothing left to remove: one clear line, exit 2
    assert main(["data", "remove", "--series", "-m", "GM0002"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "holds no series of GM0002" in err[0]


def test_removing_one_table_keeps_the_others_whole(store):
    _fill(store)
    assert main(["data", "remove", "--series", "--table", "85046NED"]) == 0
    assert {t for t, _ in _held(store)} == {"85376NED", "85375NED"}
    assert store.series_complete() == {("85375NED", "wijk")}
    rows = store.get_series("85375NED", "wijk", None).rows  # still served whole
    assert set(rows["gemeentecode"]) == {"GM0001", "GM0002"}


def test_a_failing_removal_changes_nothing(store):
    _fill(store)
    before = _held(store)
    real = store._connect

    class Failing:
        def __init__(self, con):
            self._con = con

        def __getattr__(self, name):
            return getattr(self._con, name)

        def executemany(self, sql, params):
            if "series_complete" in sql:  # the last of the three deletes
                raise OSError("disk gone")
            return self._con.executemany(sql, params)

    @contextlib.contextmanager
    def failing(*, write):
        with real(write=write) as con:
            yield Failing(con) if write and con is not None else con

    store._connect = failing
    with pytest.raises(OSError):
        store.remove_series(None, ["GM0001"])
    del store._connect  # the backend's own method again
    assert _held(open_store()) == before
    assert open_store().series_complete() == {("85375NED", "wijk")}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--series"], "--series needs --table, --year or --municipality"),
        (["--series", "--table", "12345NED"], "Unknown social-domain table"),
        (["--series", "-y", "2012"], "No series table of 2012"),
        (["--series", "-m", "Weesp"], "is not a gemeente code"),
    ],
)
def test_bad_removals_are_one_line_and_change_nothing(store, capsys, argv, message):
    _fill(store)
    before = _held(store)
    capsys.readouterr()
    try:
        code = main(["data", "remove", *argv])
    except SystemExit as exit_:
        code = exit_.code
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("stapelkaart: error:") and message in err[0]
    assert _held(store) == before


def test_removing_from_an_empty_store_creates_nothing(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("STAPELKAART_DATA_DIR", str(tmp_path / "data"))
    assert main(["data", "remove", "--series", "-m", "GM0001"]) == 2
    assert "holds no series" in capsys.readouterr().err
    assert not (tmp_path / "data" / "store").exists()
