"""The area store: keyed by area, any subset offline, atomic replacement, migration.

Every test here runs once per backend (``backend`` fixture): the embedded store
in the data directory, and PostgreSQL/PostGIS in a throw-away cluster on a unix
socket (``tests/_postgres.py``; skipped, saying why, without the binaries).
The whole-country tests ingest the country the fake CBS serves from the real data:
all of it from ``../shared``, the fixture's five gemeenten without it (``country``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import _postgres
import pandas as pd
import pytest
from fake_cbs import Fault
from geopandas.testing import assert_geodataframe_equal

import cbs_ingest
from cbs_ingest import store
from cbs_ingest.errors import SourceUnavailableError, StoreError

pytestmark = pytest.mark.real_data

LEGACY = Path(__file__).parent / "data" / "legacy_kwb"
OFFLINE = "http://127.0.0.1:9"


@pytest.fixture(params=["local", "postgres"])
def backend(request, cbs_server, monkeypatch):
    """The store backend under test, chosen through the environment as a user would."""
    if request.param == "local":
        yield "local"
        return
    with _postgres.database(request.getfixturevalue("pg_cluster")) as url:
        monkeypatch.setenv("STAPELKAART_DATABASE_URL", url)
        yield "postgres"


@pytest.fixture(scope="module")
def country(real_data) -> dict[str, int]:
    """The whole country the fake CBS serves: the gemeenten and wijken of the real stats files.

    342 gemeenten and 3,393 wijken from ``../shared`` (``tests/test_real_fixture.py`` checks
    those national counts); the fixture's five gemeenten and their 54 wijken without it.
    """
    folder = real_data / "nprz-app"
    gemeenten = pd.read_parquet(folder / "gemeente_2024_stats.parquet", columns=["gemeentecode"])
    wijken = pd.read_parquet(folder / "wijk_2024_stats.parquet", columns=["wijkcode"])
    return {"gemeenten": gemeenten["gemeentecode"].nunique(), "wijken": len(wijken)}


def _offline(monkeypatch) -> None:
    monkeypatch.setenv("STAPELKAART_CBS_URL", OFFLINE)
    monkeypatch.setenv("STAPELKAART_PDOK_URL", OFFLINE)


def test_whole_country_serves_every_gemeente_offline(backend, cbs_gpkg, monkeypatch, country):
    whole = cbs_ingest.load(2024, None, geometry_file=cbs_gpkg)
    assert whole.provenance["municipalities"] is None
    _offline(monkeypatch)
    codes = sorted(whole.frames["gemeente"]["code"])
    assert len(codes) == country["gemeenten"]
    for code in ("GM0606", "GM0505", codes[0], codes[-1]):
        one = cbs_ingest.load(2024, [code])
        assert one.from_cache and not one.stale
        for level in ("buurt", "wijk", "gemeente"):
            expected = whole.frames[level]
            expected = expected[expected["gemeentecode"] == code].reset_index(drop=True)
            assert_geodataframe_equal(one.frames[level], expected)
        assert one.provenance["municipalities"] == [code]
    some = cbs_ingest.load(2024, ["GM0606", "GM0622", "GM0505"])
    assert sorted(some.frames["gemeente"]["code"]) == ["GM0505", "GM0606", "GM0622"]
    assert some.report["buurt"].matched == len(some.frames["buurt"])
    again = cbs_ingest.load(2024, None)
    assert again.from_cache and len(again.frames["wijk"]) == country["wijken"]
    assert again.report["wijk"].matched == whole.report["wijk"].matched
    assert again.provenance["municipalities"] is None


def test_a_whole_country_ingest_replaces_the_whole_year(backend, cbs_gpkg, demo_frames, country):
    """A gemeente the new country lacks (here a fictitious one stored as 2024) is dropped."""
    from cbs_ingest.join import JoinReport

    report = JoinReport.from_dict({lvl: {"level": lvl, "matched": 1} for lvl in demo_frames})
    provenance = {"year": 2024, "table_id": "85984NED", "retrieved_at": "2026-01-01T00:00:00+00:00"}
    store.open_store().put_areas(
        demo_frames,
        provenance=provenance,
        report=report,
        geometry_key={"pdok": "elsewhere", "year": 2024},
        whole_country=False,
    )
    assert [r.code for r in cbs_ingest.stored_areas()] == ["GM9999"]
    cbs_ingest.load(2024, None, geometry_file=cbs_gpkg)
    codes = {r.code for r in cbs_ingest.stored_areas()}
    assert len(codes) == country["gemeenten"] and "GM9999" not in codes


def test_the_cbs_host_is_provenance_not_key(backend, cbs_gpkg, monkeypatch):
    stored = cbs_ingest.load(2024, ["GM0606"], geometry_file=cbs_gpkg)
    host = stored.provenance["cbs_url"]
    assert stored.provenance["areas"]["GM0606"]["cbs_url"] == host
    monkeypatch.setenv("STAPELKAART_CBS_URL", "http://127.0.0.1:8")  # another host, down
    again = cbs_ingest.load(2024, ["GM0606"])
    assert again.from_cache and again.provenance["cbs_url"] == host
    (record,) = cbs_ingest.stored_areas()
    assert (record.code, record.name, record.cbs_url) == ("GM0606", "Schiedam", host)
    assert record.table_id == "85984NED" and record.rows == {"buurt": 70, "wijk": 12, "gemeente": 1}
    assert record.geometry_source == str(cbs_gpkg.resolve())


def test_a_set_ingest_serves_each_member_offline(backend, cbs_gpkg, monkeypatch):
    """The issue's first finding: ingest GM0606 + GM0622, then analyse GM0606 offline."""
    cbs_ingest.load(2024, ["GM0606", "GM0622"], geometry_file=cbs_gpkg)
    _offline(monkeypatch)
    one = cbs_ingest.load(2024, ["GM0606"])
    assert one.from_cache and one.frames["gemeente"]["code"].tolist() == ["GM0606"]
    assert one.report["buurt"].matched == 70
    with pytest.raises(SourceUnavailableError):
        cbs_ingest.load(2024, ["GM0606", "GM0613"])  # GM0613 was never stored
    with pytest.raises(SourceUnavailableError):
        cbs_ingest.load(2024, None)  # two gemeenten are not the whole country


def test_stale_areas_are_refreshed_or_served_with_a_reason(
    backend, cbs_server, cbs_gpkg, monkeypatch
):
    cbs_ingest.load(2024, ["GM0597"], geometry_file=cbs_gpkg)
    monkeypatch.setenv("STAPELKAART_CACHE_MAX_AGE_DAYS", "0")
    before = len(cbs_server.log)
    refreshed = cbs_ingest.load(2024, ["GM0597"], geometry_file=cbs_gpkg)
    assert not refreshed.from_cache and len(cbs_server.log) > before
    if backend == "local":
        assert len(list((store.data_dir() / "store" / "2024").iterdir())) == 1  # old copy gone
    cbs_server.faults.append(Fault("TypedDataSet", "503", times=99))
    stale = cbs_ingest.load(2024, ["GM0597"])
    assert stale.stale and stale.from_cache and "HTTP 503" in stale.stale_reason
    assert stale.cache_age is not None and stale.cache_age.total_seconds() >= 0


def test_missing_value_counts_follow_the_subset(backend, cbs_gpkg):
    both = cbs_ingest.load(2024, ["GM0606", "GM0622"], geometry_file=cbs_gpkg)
    one = cbs_ingest.load(2024, ["GM0622"])
    for result in (both, one):
        nan = sum(int(result.frames[lvl]["wmo_clients"].isna().sum()) for lvl in result.frames)
        assert sum(result.provenance["missing"]["wmo_clients"].values()) == nan


def test_remove_a_gemeente_or_a_year(backend, cbs_gpkg, monkeypatch, country):
    cbs_ingest.load(2024, None, geometry_file=cbs_gpkg)
    cbs_ingest.load(2023, ["GM0597"], geometry_file=cbs_gpkg)
    assert any(d.whole_country and d.year == 2024 for d in cbs_ingest.cached_datasets())
    assert cbs_ingest.remove_areas(2024, ["GM0606"]) == 1
    listed = cbs_ingest.cached_datasets()
    assert not any(d.whole_country for d in listed)  # the year is no longer whole
    assert ("GM0606", 2024) not in {(c, d.year) for d in listed for c in d.gemeenten}
    _offline(monkeypatch)
    assert cbs_ingest.load(2024, ["GM0622"]).from_cache
    with pytest.raises(SourceUnavailableError):
        cbs_ingest.load(2024, ["GM0606"])
    assert cbs_ingest.remove_areas(2024) == country["gemeenten"] - 1
    assert [(r.year, r.code) for r in cbs_ingest.stored_areas()] == [(2023, "GM0597")]
    if backend == "local":
        assert list((store.data_dir() / "store" / "2024").iterdir()) == []
    assert cbs_ingest.remove_areas(2022) == 0


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://stapelkaart:geheim@127.0.0.1:9/stapelkaart",  # nothing listens there
        "postgresql://[::1:bad",  # not a URL
    ],
)
def test_a_wrong_database_url_is_a_clear_error(cbs_server, monkeypatch, url):
    pytest.importorskip("psycopg")
    monkeypatch.setenv("STAPELKAART_DATABASE_URL", url)
    for call in (lambda: cbs_ingest.load(2024, ["GM0606"]), cbs_ingest.stored_areas):
        with pytest.raises(StoreError) as info:
            call()
        assert "area store database at postgresql://" in info.value.message
        assert "cannot be used" in info.value.message and "geheim" not in info.value.message
        assert "database van de gebiedsopslag" in info.value.nl
        assert "niet bruikbaar" in info.value.nl and "geheim" not in info.value.nl
    assert cbs_server.log == []
    assert not store.data_dir().exists() or not any(store.data_dir().rglob("*.sqlite"))


# --- the old request-keyed cache ----------------------------------------------------


def _legacy_into_data_dir() -> Path:
    folder = store.data_dir() / "kwb"
    folder.mkdir(parents=True)
    for path in LEGACY.iterdir():
        shutil.copy(path, folder / path.name)
    return folder


def test_an_old_cache_entry_is_migrated(backend, monkeypatch):
    """The entry in tests/data/legacy_kwb was written by the request cache this store replaced."""
    folder = _legacy_into_data_dir()
    _offline(monkeypatch)
    result = cbs_ingest.load(2024, ["GM0556"])
    assert result.from_cache and not result.stale
    assert any("Moved 1 old cache entry" in note for note in result.notes)
    assert len(result.frames["buurt"]) == 19 and result.report.complete
    assert result.provenance["table_id"] == "85984NED"
    assert not folder.exists()  # moved, not copied
    (record,) = cbs_ingest.stored_areas()
    assert (record.year, record.code, record.name) == (2024, "GM0556", "Maassluis")
    assert record.retrieved_at.isoformat().startswith("2026-")
    nan = sum(int(result.frames[lvl]["wmo_clients"].isna().sum()) for lvl in result.frames)
    assert sum(result.provenance["missing"]["wmo_clients"].values()) == nan


def test_a_damaged_old_entry_is_reported_and_left_alone(backend, monkeypatch):
    folder = _legacy_into_data_dir()
    parquet = next(folder.glob("*.parquet"))
    parquet.write_bytes(parquet.read_bytes()[:500])
    _offline(monkeypatch)
    with pytest.raises(SourceUnavailableError):
        cbs_ingest.load(2024, ["GM0556"])
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in LEGACY.iterdir())
    notes = store.open_store().notes
    assert any("is damaged and was not moved" in n and "ingest it again" in n for n in notes)
    assert cbs_ingest.stored_areas() == []


def test_refreshing_one_gemeente_of_the_whole_country(backend, cbs_server, cbs_gpkg, monkeypatch):
    whole = cbs_ingest.load(2024, None, geometry_file=cbs_gpkg)
    first = cbs_ingest.stored_areas()
    cbs_ingest.load(2024, ["GM0606"], geometry_file=cbs_gpkg, refresh=True)
    _offline(monkeypatch)
    again = cbs_ingest.load(2024, None)
    for level in ("buurt", "wijk", "gemeente"):
        assert again.frames[level]["code"].is_unique
        assert_geodataframe_equal(again.frames[level], whole.frames[level])
    after = {r.code: r.retrieved_at for r in cbs_ingest.stored_areas()}
    before = {r.code: r.retrieved_at for r in first}
    assert after["GM0606"] > before["GM0606"] and after["GM0622"] == before["GM0622"]
    if backend == "local":
        assert len(list((store.data_dir() / "store" / "2024").iterdir())) == 2
    assert again.provenance["municipalities"] is None


def test_concurrent_writers_and_a_reader_see_whole_gemeenten(backend, cbs_gpkg):
    """Two writers replace gemeenten while a reader reads them: no error, never a partial set."""
    import threading

    both = cbs_ingest.load(2024, ["GM0606", "GM0622"], geometry_file=cbs_gpkg)
    expected = {lvl: len(both.frames[lvl]) for lvl in both.frames}
    parts = {code: cbs_ingest.load(2024, [code]) for code in ("GM0606", "GM0622")}
    errors: list[BaseException] = []
    seen: list[dict[str, int]] = []

    def write(code: str) -> None:
        try:
            for _ in range(6):
                result = parts[code]
                store.open_store().put_areas(
                    result.frames,
                    provenance={**result.provenance, "retrieved_at": _now()},
                    report=result.report,
                    geometry_key={"pdok": "test", "year": 2024},
                    whole_country=False,
                    codes=[code],
                )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def read() -> None:
        try:
            for _ in range(12):
                got = store.open_store().get_areas(2024, ["GM0606", "GM0622"])
                seen.append({lvl: len(frame) for lvl, frame in got.frames.items()})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(c,)) for c in parts]
    threads.append(threading.Thread(target=read))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert seen and all(counts == expected for counts in seen)
    assert store.open_store().damaged() == []
    if backend == "local":
        assert len(list((store.data_dir() / "store" / "2024").glob("areas-*.parquet"))) == 2


def _now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat()
