"""Failure behaviour: retries with backoff, clear errors, stale cache, never a corrupt entry.

Every scenario runs the real cbsodata client against the local OData server,
which fails chosen requests (see ``fake_cbs.Fault``).
"""

from __future__ import annotations

import geopandas as gpd
import pytest
from fake_cbs import Fault

import cbs_ingest
from cbs_ingest import cache
from cbs_ingest.errors import SourceChangedError, SourceUnavailableError

pytestmark = pytest.mark.real_data


def _cache_files() -> list[str]:
    folder = cache.cache_dir()
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _assert_complete(result, n_buurten: int) -> None:
    assert result.report.complete
    assert len(result.frames["buurt"]) == n_buurten


# --- transient faults: one retry and the result is complete -------------------------

TRANSIENT = [
    ("TypedDataSet", "500"),
    ("TypedDataSet", "503"),
    ("TypedDataSet", "truncate"),
    ("TypedDataSet", "badjson"),
    ("TypedDataSet", "reset"),
    ("TypedDataSet", "novalue"),
    ("TypedDataSet", "html"),
    ("DataProperties", "503"),
    ("TableInfos", "truncate"),
    ("%24skip=40", "truncate"),  # a later page of a paged answer
    ("%24skip=20", "500"),
]


@pytest.mark.parametrize(("match", "kind"), TRANSIENT)
def test_transient_fault_is_retried(cbs_server, cbs_gpkg, match, kind):
    cbs_server.page_sizes["TypedDataSet"] = 20  # GM0606 has 83 rows: five pages
    cbs_server.faults.append(Fault(match, kind, times=1))
    messages: list[str] = []
    result = cbs_ingest.load(
        2024, ["GM0606"], geometry_file=cbs_gpkg, progress=lambda f, m: messages.append(m)
    )
    _assert_complete(result, 70)
    assert any("nieuwe poging 2" in m for m in messages)  # the retry is visible
    assert cbs_server.faults[0].hits == 1
    assert cbs_server.count(match) >= 2  # the failed request was asked again


def test_flaky_server_failing_every_second_request(cbs_server, cbs_gpkg):
    cbs_server.page_sizes["TypedDataSet"] = 20
    cbs_server.faults.append(Fault("/ODataFeed/", "503", every=2))
    result = cbs_ingest.load(2024, ["GM0606"], geometry_file=cbs_gpkg)
    _assert_complete(result, 70)
    assert cbs_server.faults[0].hits >= 5  # many failed, each request retried on its own


def test_slow_answer_times_out_and_is_retried(cbs_server, cbs_gpkg, monkeypatch):
    monkeypatch.setenv("STAPELKAART_HTTP_TIMEOUT", "0.3")
    cbs_server.faults.append(Fault("TypedDataSet", "slow", times=1, delay=1.0))
    result = cbs_ingest.load(2024, ["GM0597"], geometry_file=cbs_gpkg)
    _assert_complete(result, 12)


# --- persistent faults: bounded retries, one clear error, nothing written -------------

PERSISTENT = [
    ("503", "HTTP 503"),
    ("truncate", "cut off"),
    ("badjson", "malformed"),
    ("reset", "connection"),
]


@pytest.mark.parametrize(("kind", "reason"), PERSISTENT)
def test_persistent_fault_gives_clear_error_and_no_cache(cbs_server, cbs_gpkg, kind, reason):
    cbs_server.faults.append(Fault("TypedDataSet", kind, times=99))
    with pytest.raises(SourceUnavailableError) as info:
        cbs_ingest.load(2024, ["GM0606"], geometry_file=cbs_gpkg)
    assert reason in info.value.message and "after 3 attempt(s)" in info.value.message
    assert "niet bereikbaar na 3 poging(en)" in info.value.nl
    assert cbs_server.faults[0].hits == 3  # bounded: STAPELKAART_HTTP_RETRIES=3
    assert _cache_files() == []


def test_unreachable_server(cbs_server, cbs_gpkg, monkeypatch):
    monkeypatch.setenv("STAPELKAART_CBS_URL", "http://127.0.0.1:9")
    with pytest.raises(SourceUnavailableError) as info:
        cbs_ingest.load(2024, ["GM0606"], geometry_file=cbs_gpkg)
    assert "127.0.0.1:9" in info.value.message and "connection failed" in info.value.message
    assert _cache_files() == []


def test_changed_column_set_without_cache(cbs_server, cbs_gpkg, real_data):
    from fake_cbs_tables import kwb_2024_table

    cbs_server.tables["85984NED"] = kwb_2024_table(real_data, drop=("AantalInwoners",))
    with pytest.raises(SourceChangedError) as info:
        cbs_ingest.load(2024, ["GM0606"], geometry_file=cbs_gpkg)
    assert "AantalInwoners" in info.value.message
    assert _cache_files() == []


# --- a cached copy is served, marked stale, when the source fails -------------------


def test_stale_cache_when_refresh_fails(cbs_server, cbs_gpkg):
    fresh = cbs_ingest.load(2024, ["GM0606"], geometry_file=cbs_gpkg)
    cbs_server.faults.append(Fault("TypedDataSet", "503", times=99))
    stale = cbs_ingest.load(2024, ["GM0606"], geometry_file=cbs_gpkg, refresh=True)
    assert stale.stale and stale.from_cache
    assert stale.cache_age is not None and stale.cache_age.total_seconds() >= 0
    assert "HTTP 503" in stale.stale_reason
    assert stale.cache_path == fresh.cache_path
    _assert_complete(stale, 70)


def test_stale_cache_when_expired_and_source_changed(cbs_server, cbs_gpkg, real_data, monkeypatch):
    from fake_cbs_tables import kwb_2024_table

    cbs_ingest.load(2024, ["GM0622"], geometry_file=cbs_gpkg)
    monkeypatch.setenv("STAPELKAART_CACHE_MAX_AGE_DAYS", "0")
    cbs_server.tables["85984NED"] = kwb_2024_table(real_data, drop=("AantalInwoners",))
    result = cbs_ingest.load(2024, ["GM0622"], geometry_file=cbs_gpkg)
    assert result.stale and "AantalInwoners" in result.stale_reason
    _assert_complete(result, 40)


# --- the cache itself: damage is detected, interrupted writes leave nothing ---------


def _damage(path) -> None:
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)
    path.write_bytes(bytes(data))


def test_corrupt_cache_file_is_refetched_not_read(cbs_server, cbs_gpkg):
    first = cbs_ingest.load(2024, ["GM0597"], geometry_file=cbs_gpkg)
    _damage(_parquet_of(first))
    before = len(cbs_server.log)
    second = cbs_ingest.load(2024, ["GM0597"], geometry_file=cbs_gpkg)
    assert not second.from_cache and len(cbs_server.log) > before
    assert any("damaged" in note for note in second.notes)
    _assert_complete(second, 12)
    entry, problem = cache.lookup(second.cache_path.stem)
    assert entry is not None and problem is None


def test_corrupt_cache_and_source_down_is_an_error(cbs_server, cbs_gpkg):
    first = cbs_ingest.load(2024, ["GM0597"], geometry_file=cbs_gpkg)
    _damage(_parquet_of(first))
    cbs_server.faults.append(Fault("TypedDataSet", "503", times=99))
    with pytest.raises(SourceUnavailableError):
        cbs_ingest.load(2024, ["GM0597"], geometry_file=cbs_gpkg)


@pytest.mark.parametrize("damage", ["truncated_manifest", "missing_parquet", "wrong_version"])
def test_incomplete_entries_are_not_trusted(cbs_server, cbs_gpkg, damage):
    first = cbs_ingest.load(2024, ["GM0597"], geometry_file=cbs_gpkg)
    manifest = first.cache_path
    if damage == "truncated_manifest":
        manifest.write_text(manifest.read_text()[:100])
    elif damage == "missing_parquet":
        _parquet_of(first).unlink()
    else:
        manifest.write_text(manifest.read_text().replace('"version": 1', '"version": 0'))
    entry, problem = cache.lookup(manifest.stem)
    assert entry is None and "damaged" in problem
    again = cbs_ingest.load(2024, ["GM0597"], geometry_file=cbs_gpkg)
    assert not again.from_cache
    _assert_complete(again, 12)


def test_interrupted_cache_write_leaves_nothing(cbs_server, cbs_gpkg, monkeypatch):
    real = gpd.GeoDataFrame.to_parquet

    def half_then_interrupt(self, path, *args, **kwargs):
        real(self, path, *args, **kwargs)
        with open(path, "r+b") as handle:
            handle.truncate(100)
        raise KeyboardInterrupt

    monkeypatch.setattr(gpd.GeoDataFrame, "to_parquet", half_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        cbs_ingest.load(2024, ["GM0597"], geometry_file=cbs_gpkg)
    assert _cache_files() == []
    monkeypatch.setattr(gpd.GeoDataFrame, "to_parquet", real)
    result = cbs_ingest.load(2024, ["GM0597"], geometry_file=cbs_gpkg)
    assert not result.from_cache
    _assert_complete(result, 12)
    assert len(_cache_files()) == 2  # one parquet file, one manifest


# --- PDOK ---------------------------------------------------------------------------


def test_pdok_transient_failures_are_retried(cbs_server, pdok_server):
    pdok_server.state["fail"] = 2
    result = cbs_ingest.load(2024, ["GM0597"])
    _assert_complete(result, 12)


def test_pdok_down_is_a_clear_error(cbs_server, pdok_server):
    pdok_server.state["fail"] = 99
    with pytest.raises(SourceUnavailableError) as info:
        cbs_ingest.load(2024, ["GM0597"])
    assert info.value.message.startswith("PDOK") and "HTTP 503" in info.value.message
    assert _cache_files() == []


def _parquet_of(result):
    import json

    manifest = json.loads(result.cache_path.read_text())
    return result.cache_path.with_name(manifest["file"])


def test_leftovers_of_killed_writes_are_tidied(cbs_server, cbs_gpkg):
    import os
    import time

    folder = cache.cache_dir()
    folder.mkdir(parents=True)
    old, fresh = folder / ".kwb_old.parquet.tmp", folder / ".kwb_fresh.parquet.tmp"
    old.write_bytes(b"half a file")
    fresh.write_bytes(b"another writer, still busy")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    cbs_ingest.load(2024, ["GM0597"], geometry_file=cbs_gpkg)
    assert not old.exists() and fresh.exists()
    assert [e.name for e in cache.list_entries()] == [
        n[:-5] for n in _cache_files() if n.endswith(".json")
    ]
