"""The store of municipal datasets and the audit log (every backend runs the same tests).

The backends: the embedded SQLite file, and PostgreSQL in a throw-away cluster
on a unix socket (``tests/_postgres.py``; skipped, saying why, without the
Debian binaries), chosen through ``STAPELKAART_DATABASE_URL`` as a user would.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import sqlite3
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from cbs_ingest.datasets import DatasetStore, NewDataset, open_store, store_path
from cbs_ingest.datasets_sqlite import SqliteDatasetStore
from cbs_ingest.errors import DatasetConflictError, DatasetError
from geo_app.session.own_data import build_entries
from geo_app.session.stored import entries_from_stored, to_new_dataset
from layers.upload import validate_upload


@pytest.fixture
def store(datasets_backend) -> DatasetStore:
    """A fresh, empty store of each backend, opened as the app and the CLI open it."""
    opened = open_store()
    assert (
        type(opened).__name__
        == {"sqlite": "SqliteDatasetStore", "postgres": "PostgresDatasetStore"}[datasets_backend]
    )
    return opened


@contextlib.contextmanager
def raw(store) -> Iterator:
    """A connection to the store's own database, past the store's code (SQLite or psycopg)."""
    if isinstance(store, SqliteDatasetStore):
        con = sqlite3.connect(store.path, isolation_level=None)
        try:
            yield con
        finally:
            con.close()
        return
    import psycopg

    with psycopg.connect(store.url, autocommit=True) as con:
        yield con


def _tables(store) -> dict[str, str]:
    if isinstance(store, SqliteDatasetStore):
        return {"audit": "audit", "versions": "versions", "trigger": "versions_no_update"}
    return {
        "audit": "stapelkaart_dataset_audit",
        "versions": "stapelkaart_dataset_versions",
        "trigger": "stapelkaart_dataset_versions_no_update ON stapelkaart_dataset_versions",
    }


def dataset(name: str = "wmo", *, value: float = 40.0, gemeente: str = "GM9999") -> NewDataset:
    values = pd.DataFrame(
        {
            "level": ["buurt", "buurt", "wijk"],
            "code": ["BU99990000", "BU99990001", "WK999900"],
            "column": ["wmo", "wmo", "wmo"],
            "value": [value, np.nan, value + 12],
        }
    )
    log = pd.DataFrame(
        {"level": ["buurt"], "code": ["BU99990001"], "column": ["gem_wmo"], "reason": ["primary"]}
    )
    return NewDataset(
        gemeente=gemeente,
        year=2024,
        name=name,
        level="buurt",
        file_name=f"{name}.csv",
        file_sha256="ab" * 32,
        rows=2,
        values=values,
        log=log,
        columns=("wmo",),
    )


def test_an_added_dataset_is_the_latest_with_who_when_and_suppression(store):
    assert (
        store.generation() == 0
        and store.list() == []
        and store.latest("GM9999", 2024, allowed=None) == []
    )
    meta = store.add(dataset(), replaces=None, who="a@gemeente.example", role="gemeente")
    assert (meta.version, meta.uploaded_by, meta.role, meta.file_name) == (
        1,
        "a@gemeente.example",
        "gemeente",
        "wmo.csv",
    )
    assert meta.suppression == {"cells": 1, "primary": 1, "secondary": 0, "threshold": 10}
    assert meta.rows == 2 and meta.areas == 2 and meta.created_at
    (got,) = store.latest("GM9999", 2024, allowed=None)
    assert got.values["value"].tolist()[0] == 40.0 and np.isnan(got.values["value"].iloc[1])
    assert store.generation() == 1
    assert store.latest("GM9999", 2024, allowed=[]) == []
    assert store.latest("GM9999", 2023, allowed=None) == []
    assert store.latest("GM0001", 2024, allowed=None) == []


def test_replacing_makes_a_new_version_and_only_the_latest_is_shown(store):
    store.add(dataset(value=40), replaces=None, who="a", role="gemeente")
    second = store.add(dataset(value=41), replaces=1, who="b", role="gemeente")
    assert second.version == 2
    (got,) = store.latest("GM9999", 2024, allowed=["wmo"])
    assert got.meta.version == 2 and got.values["value"].iloc[0] == 41.0
    versions = store.list(all_versions=True)
    assert [(v.version, v.current) for v in versions] == [(1, False), (2, True)]
    assert [v.version for v in store.list()] == [2]
    actions = store.audit_log()["action"].tolist()
    assert actions == ["replace", "upload"]  # newest first


def test_a_name_clash_and_a_stale_replace_are_refused_and_change_nothing(store):
    store.add(dataset(), replaces=None, who="a", role="gemeente")
    store.add(dataset(value=41), replaces=1, who="b", role="gemeente")
    before = (store.generation(), len(store.audit_log()), store.list(all_versions=True))
    with pytest.raises(DatasetConflictError) as clash:
        store.add(dataset(value=50), replaces=None, who="c", role="gemeente")
    assert "bestaat al" in clash.value.nl and "niets opgeslagen" in clash.value.nl
    with pytest.raises(DatasetConflictError) as stale:
        store.add(dataset(value=50), replaces=1, who="c", role="gemeente")
    assert "intussen gewijzigd (nu versie 2, van b" in stale.value.nl
    assert (store.generation(), len(store.audit_log()), store.list(all_versions=True)) == before


def test_removal_removes_for_everyone_and_keeps_versions_for_the_audit(store):
    store.add(dataset(), replaces=None, who="a", role="gemeente")
    store.add(dataset("schulden"), replaces=None, who="a", role="gemeente")
    with pytest.raises(DatasetConflictError):
        store.remove("wmo", gemeente="GM9999", year=2024, who="b", role="gemeente", expected=7)
    removed = store.remove("wmo", gemeente="GM9999", year=2024, who="b", role="gemeente")
    assert removed.version == 1
    assert [d.meta.name for d in store.latest("GM9999", 2024, allowed=None)] == ["schulden"]
    assert [v.name for v in store.list()] == ["schulden"]
    assert {(v.name, v.current) for v in store.list(all_versions=True)} == {
        ("wmo", False),
        ("schulden", True),
    }
    with pytest.raises(DatasetError, match="No dataset 'wmo'"):
        store.remove("wmo", gemeente="GM9999", year=2024, who="b", role="gemeente")
    # Added again after removal: a new version, and a clash-free add.
    again = store.add(dataset(), replaces=None, who="c", role="gemeente")
    assert again.version == 2
    log = store.audit_log()
    assert log["action"].tolist() == ["upload", "remove", "upload", "upload"]
    assert log.iloc[1][["who", "role", "dataset", "version"]].tolist() == [
        "b",
        "gemeente",
        "wmo",
        1,
    ]


def test_the_audit_log_records_downloads_and_is_append_only(store):
    store.audit(
        "download", who="lokaal", role="lokaal", gemeente="GM9999", year=2024, detail="x.csv"
    )
    log = store.audit_log()
    assert log[["who", "action", "gemeente", "year", "detail"]].values.tolist() == [
        ["lokaal", "download", "GM9999", 2024, "x.csv"]
    ]
    with pytest.raises(ValueError):
        store.audit("delete_everything", who="x", role="y")
    audit = _tables(store)["audit"]
    refused = (
        ["DELETE FROM audit", "UPDATE audit SET who = 'someone else'"]
        if isinstance(store, SqliteDatasetStore)
        else [f"DELETE FROM {audit}", f"UPDATE {audit} SET who = 'x'", f"TRUNCATE {audit}"]
    )
    with raw(store) as con:
        for statement in refused:
            with pytest.raises(Exception, match="append-only"):
                con.execute(statement)
    assert store.audit_log()[["who", "action"]].values.tolist() == [["lokaal", "download"]]


def test_a_broken_store_file_gives_a_dutch_message_and_is_left_alone(tmp_path):
    path = tmp_path / "datasets.sqlite"
    path.write_bytes(b"this is not a database at all" * 100)
    before = path.read_bytes()
    store = SqliteDatasetStore(path)
    for call in (
        store.generation,
        store.list,
        lambda: store.latest("GM9999", 2024, allowed=None),
        lambda: store.add(dataset(), replaces=None, who="a", role="g"),
        lambda: store.audit("download", who="a", role="g"),
    ):
        with pytest.raises(DatasetError) as err:
            call()
        assert "beschadigd of onleesbaar" in err.value.nl
    assert path.read_bytes() == before


def test_a_stored_version_is_never_changed_and_damage_is_detected_by_its_checksum(store):
    store.add(dataset(), replaces=None, who="a", role="g")
    tables = _tables(store)
    with raw(store) as con:
        with pytest.raises(Exception, match="never changed"):
            con.execute(f"UPDATE {tables['versions']} SET role = 'x'")
        con.execute(f"DROP TRIGGER {tables['trigger']}")
        blob = "x'00'" if isinstance(store, SqliteDatasetStore) else "'\\x00'::bytea"
        con.execute(f"UPDATE {tables['versions']} SET values_parquet = {blob}")
    with pytest.raises(DatasetError, match="unreadable") as err:
        store.latest("GM9999", 2024, allowed=None)
    assert "onleesbaar" in err.value.nl


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://stapelkaart:geheim@127.0.0.1:9/stapelkaart",  # nothing listens there
        "postgresql://stapelkaart:geheim@[::1:bad/x",  # not a URL
        "host=127.0.0.1 port=9 password=geheim dbname",  # not a connection string
    ],
)
def test_a_wrong_database_url_is_one_clear_message_without_the_password(monkeypatch, tmp_path, url):
    pytest.importorskip("psycopg")
    monkeypatch.setenv("STAPELKAART_DATABASE_URL", url)
    store = open_store()
    for call in (
        store.generation,
        store.list,
        store.audit_log,
        lambda: store.latest("GM9999", 2024, allowed=None),
        lambda: store.add(dataset(), replaces=None, who="a", role="g"),
        lambda: store.remove("wmo", gemeente="GM9999", year=2024, who="a", role="g"),
        lambda: store.audit("download", who="a", role="g"),
    ):
        with pytest.raises(DatasetError) as err:
            call()
        message, nl = err.value.message, err.value.nl
        assert "dataset store database at postgresql://" in message and "\n" not in message
        assert "database met eigen datasets" in nl and "niet bruikbaar" in nl
        assert "geheim" not in message + nl
        assert "STAPELKAART_DATABASE_URL" in nl
    assert not any(tmp_path.rglob("*.sqlite"))  # no silent fall-back to the file


def test_the_store_file_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("STAPELKAART_DATASETS_FILE", str(tmp_path / "x" / "shared.sqlite"))
    assert store_path() == tmp_path / "x" / "shared.sqlite"
    open_store().audit("download", who="a", role="g")
    assert (tmp_path / "x" / "shared.sqlite").exists()
    monkeypatch.delenv("STAPELKAART_DATASETS_FILE")
    monkeypatch.setenv("STAPELKAART_DATA_DIR", str(tmp_path / "data"))
    assert store_path() == tmp_path / "data" / "datasets.sqlite"


def _replace_worker(url: str | None, path: str, who: str, barrier, queue) -> None:
    from cbs_ingest.datasets_postgres import PostgresDatasetStore

    store = SqliteDatasetStore(path) if url is None else PostgresDatasetStore(url)
    barrier.wait(timeout=30)
    try:
        meta = store.add(dataset(value=float(len(who))), replaces=1, who=who, role="g")
        queue.put((who, "ok", meta.version))
    except DatasetConflictError as exc:
        queue.put((who, "conflict", exc.nl))


def test_two_processes_replacing_at_once_one_wins_the_other_gets_a_clear_message(store):
    store.add(dataset(), replaces=None, who="first", role="g")
    url = getattr(store, "url", None)
    path = str(getattr(store, "path", ""))
    ctx = multiprocessing.get_context("spawn")
    barrier, queue = ctx.Barrier(2), ctx.Queue()
    workers = [
        ctx.Process(target=_replace_worker, args=(url, path, who, barrier, queue))
        for who in ("anna", "bert")
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert all(w.exitcode == 0 for w in workers)
    outcomes = sorted(queue.get(timeout=5) for _ in workers)
    assert sorted(o[1] for o in outcomes) == ["conflict", "ok"]
    winner = next(o for o in outcomes if o[1] == "ok")
    loser = next(o for o in outcomes if o[1] == "conflict")
    assert winner[2] == 2 and f"van {winner[0]}" in loser[2]
    assert store.generation() == 2
    assert [(v.version, v.uploaded_by) for v in store.list(all_versions=True)] == [
        (1, "first"),
        (2, winner[0]),
    ]
    assert store.audit_log()["action"].tolist() == ["replace", "upload"]


def test_protected_values_round_trip_through_the_store(store, demo_frames):
    codes = list(demo_frames["buurt"]["code"])
    csv = "buurtcode;wmo;inwoners\n" + "\n".join(
        f"{c};{(i * 7) % 40};{300 + i}" for i, c in enumerate(codes)
    )
    data = csv.encode()
    result = validate_upload(
        data, "wmo.csv", level="buurt", gemeentecode="GM9999", known_codes=codes
    )
    built = build_entries(demo_frames, result, name="wmo")
    new = to_new_dataset(
        built, result, gemeente="GM9999", year=2024, name="wmo", file_name="wmo.csv", data=data
    )
    # Only protected values are stored: no count below the threshold survives.
    stored_counts = new.values.loc[new.values["column"] == "wmo", "value"].dropna()
    assert len(stored_counts) and (stored_counts >= 10).all()
    store.add(new, replaces=None, who="a", role="gemeente")
    merged, skipped = entries_from_stored(demo_frames, store.latest("GM9999", 2024, allowed=None))
    assert skipped == [] and set(merged) == set(built) == {"buurt", "wijk"}
    for level in built:
        want = built[level]["frame"][["code", "gem_wmo"]].reset_index(drop=True)
        got = merged[level]["frame"][["code", "gem_wmo"]].reset_index(drop=True)
        pd.testing.assert_frame_equal(got, want)
        assert merged[level]["suppressed"] == built[level]["suppressed"]
        assert [i.key for i in merged[level]["extra"]] == [i.key for i in built[level]["extra"]]


def test_a_database_with_another_schema_version_is_refused_and_left_alone(pg_cluster):
    import _postgres
    import psycopg

    from cbs_ingest.datasets_postgres import PostgresDatasetStore

    with _postgres.database(pg_cluster) as url:
        store = PostgresDatasetStore(url)
        store.add(dataset(), replaces=None, who="a", role="g")
        with psycopg.connect(url, autocommit=True) as con:
            con.execute(
                "UPDATE stapelkaart_datasets_meta SET value = '99' WHERE key = 'schema_version'"
            )
        for call in (
            store.generation,
            lambda: store.add(dataset("schulden"), replaces=None, who="a", role="g"),
        ):
            with pytest.raises(DatasetError, match="schema version 99, expected 1"):
                call()
        with psycopg.connect(url) as con:
            count = con.execute("SELECT count(*) FROM stapelkaart_dataset_versions").fetchone()
        assert count == (1,)
