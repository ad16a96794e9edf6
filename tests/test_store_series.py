"""Series in the area store: a period dimension, any subset offline, atomic replacement.

Every test runs once per backend: the embedded store in the data directory, and
PostgreSQL in a throw-away cluster (skipped, saying why, without the binaries).
The frames are built here from the long layout of :mod:`cbs_ingest.series`.
"""

from __future__ import annotations

import threading

import pandas as pd
import pytest

from cbs_ingest.errors import StoreError
from cbs_ingest.series import SERIES_COLUMNS

TABLE = "84907NED"
PERIODS = (("2020H1", 2020, "halfyear"), ("2020", 2020, "year"), ("2020H2", 2020, "halfyear"))
RETRIEVED = "2026-01-02T03:04:05+00:00"


@pytest.fixture
def store(area_store):
    """A fresh area store of each backend (``area_store`` in conftest)."""
    return area_store


def _rows(gemeente: str, *, wijken: int = 2, offset: float = 0.0) -> pd.DataFrame:
    """The long rows of a gemeente and its wijken for one table; wijk 02 has a secret cell."""
    records = []
    codes = [(gemeente, "gemeente")] + [
        (f"WK{gemeente[2:]}{i:02d}", "wijk") for i in range(1, wijken + 1)
    ]
    for code, level in codes:
        for j, (period, year, kind) in enumerate(PERIODS):
            for indicator in ("wmo_clients", "wmo_per_1000"):
                secret = code.endswith("02") and level == "wijk" and j == 1
                value = float("nan") if secret else 10.0 * j + len(indicator) + offset
                name = None if level == "wijk" and j == 2 else f"{code} naam"
                records.append(
                    (code, name, level, gemeente, "wmo", indicator, period, year, kind)
                    + (value, 1.0 if level == "wijk" else float("nan"), TABLE)
                )
    return pd.DataFrame.from_records(records, columns=list(SERIES_COLUMNS))


def _put(store, rows, gemeenten, *, whole_country=False, retrieved=RETRIEVED):
    store.put_series(
        rows,
        table_id=TABLE,
        theme="wmo",
        level="wijk",
        gemeenten=gemeenten,
        provenance={"cbs_url": "http://cbs.test", "retrieved_at": retrieved},
        whole_country=whole_country,
    )


def _same(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    keys = ["code", "indicator", "period"]
    got = got.sort_values(keys).reset_index(drop=True)
    expected = expected.sort_values(keys).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert got["value"].dtype == float and got["year"].dtype.kind == "i"


def test_any_subset_is_served_with_periods_and_provenance(store):
    a, b, c = _rows("GM0001"), _rows("GM0002", wijken=3), _rows("GM0003")
    _put(store, pd.concat([a, b, c]), ["GM0001", "GM0002", "GM0003"])
    one = store.get_series(TABLE, "wijk", ["GM0002"])
    _same(one.rows, b)
    assert list(one.records) == ["GM0002"]
    record = one.records["GM0002"]
    assert record.periods == ("2020", "2020H1", "2020H2") and record.rows == len(b)
    assert record.cbs_url == "http://cbs.test" and record.retrieved_at.isoformat() == RETRIEVED
    assert record.theme == "wmo" and record.table_id == TABLE
    some = store.get_series(TABLE, "wijk", ["GM0001", "GM0003"])
    _same(some.rows, pd.concat([a, c]))
    assert some.rows.loc[some.rows["code"] == "WK000102", "value"].isna().sum() == 2
    with pytest.raises(StoreError, match="whole country"):  # never fetched whole
        store.get_series(TABLE, "wijk", None)
    with pytest.raises(StoreError, match="GM0004"):
        store.get_series(TABLE, "wijk", ["GM0001", "GM0004"])
    with pytest.raises(StoreError, match="buurt"):  # another level is another series
        store.get_series(TABLE, "buurt", ["GM0001"])
    assert [r.code for r in store.series_records(TABLE, "wijk")] == ["GM0001", "GM0002", "GM0003"]


def test_a_put_replaces_only_its_gemeenten_and_a_gemeente_without_rows_is_held(store):
    _put(store, pd.concat([_rows("GM0001"), _rows("GM0002")]), ["GM0001", "GM0002"])
    newer = _rows("GM0001", wijken=1, offset=5.0)
    _put(store, newer, ["GM0001", "GM0009"], retrieved="2026-02-01T00:00:00+00:00")
    _same(store.get_series(TABLE, "wijk", ["GM0001"]).rows, newer)  # wijk 02 gone with it
    _same(store.get_series(TABLE, "wijk", ["GM0002"]).rows, _rows("GM0002"))
    empty = store.get_series(TABLE, "wijk", ["GM0009"])
    assert empty.rows.empty and empty.records["GM0009"].rows == 0
    ages = {r.code: r.retrieved_at.month for r in store.series_records(TABLE)}
    assert ages == {"GM0001": 2, "GM0002": 1, "GM0009": 2}
    with pytest.raises(ValueError, match="other gemeenten"):
        _put(store, _rows("GM0003"), ["GM0001"])
    assert store.get_series(TABLE, "wijk", ["GM0001"]).rows["value"].notna().any()


def test_whole_country_is_served_whole_and_replaces_the_table(store):
    _put(store, _rows("GM0007"), ["GM0007"])
    country = pd.concat([_rows("GM0001"), _rows("GM0002", wijken=4)])
    _put(store, country, [], whole_country=True)
    assert store.series_complete() == {(TABLE, "wijk")}
    _same(store.get_series(TABLE, "wijk", None).rows, country)
    _same(store.get_series(TABLE, "wijk", ["GM0002"]).rows, _rows("GM0002", wijken=4))
    with pytest.raises(StoreError, match="GM0007"):  # not in the country's table
        store.get_series(TABLE, "wijk", ["GM0007"])


def test_an_empty_store_has_no_series_and_areas_are_untouched(store):
    assert store.series_records() == [] and store.series_complete() == set()
    with pytest.raises(StoreError, match="GM0001"):
        store.get_series(TABLE, "wijk", ["GM0001"])
    _put(store, _rows("GM0001"), ["GM0001"])
    assert store.list() == [] and store.complete_years() == set()


def test_readers_see_a_gemeente_whole_while_it_is_replaced(store):
    small, large = _rows("GM0001", wijken=1), _rows("GM0001", wijken=6, offset=1.0)
    _put(store, small, ["GM0001"])
    seen: list[int] = []
    errors: list[BaseException] = []

    def write() -> None:
        for i in range(6):
            _put(store, large if i % 2 == 0 else small, ["GM0001"])

    def read() -> None:
        try:
            for _ in range(12):
                got = store.get_series(TABLE, "wijk", ["GM0001"])
                assert got.records["GM0001"].rows == len(got.rows)
                seen.append(len(got.rows))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write), threading.Thread(target=read)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert set(seen) <= {len(small), len(large)} and len(seen) == 12
