"""The dataset store in PostgreSQL, chosen by ``STAPELKAART_DATABASE_URL``.

For several app processes or machines sharing the municipality's own datasets,
next to the area store in the same database (:mod:`cbs_ingest.store_postgres`;
no PostGIS needed here). The same interface and semantics as the embedded
backend (:mod:`cbs_ingest.datasets_sqlite`):

- ``stapelkaart_dataset_versions``: every stored version (who, when, file name,
  checksums, row counts, the suppression applied, the protected values and the
  suppression log as Parquet ``bytea`` with their SHA-256); a trigger refuses
  any UPDATE, so a stored version is never changed;
- ``stapelkaart_dataset_current``: the version shown of each ``(gemeente, year, name)``;
- ``stapelkaart_dataset_audit``: the append-only audit log (triggers refuse
  UPDATE, DELETE and TRUNCATE);
- ``stapelkaart_datasets_meta``: the schema version and the generation counter.

Each change is one transaction; writers are serialised with an advisory lock
and check the version they replace after taking it (optimistic concurrency: a
clash writes nothing). A read is one repeatable-read snapshot. Connections and
their errors are those of :mod:`cbs_ingest.pg`.
"""

from __future__ import annotations

import builtins
import contextlib
from collections.abc import Iterable, Iterator
from typing import Any

import pandas as pd

from cbs_ingest.datasets import DatasetVersion, NewDataset, StoredDataset
from cbs_ingest.datasets_common import (
    AUDIT_COLUMNS,
    META_COLUMNS,
    add_detail,
    audit_row,
    check_expected,
    conflict,
    meta_from_row,
    not_found,
    now,
    payload,
    stored_dataset,
)
from cbs_ingest.errors import DatasetError
from cbs_ingest.pg import reason, redacted, transaction

__all__ = ["PostgresDatasetStore", "SCHEMA_VERSION"]

SCHEMA_VERSION = 1
_LOCK = 0x5354_4453  # advisory lock id of the dataset store's writers ("STDS")
_META_SELECT = ", ".join(f"v.{n}" for n in META_COLUMNS)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS stapelkaart_datasets_meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS stapelkaart_dataset_versions (
    id bigserial PRIMARY KEY,
    gemeente text NOT NULL, year integer NOT NULL, name text NOT NULL, version integer NOT NULL,
    level text NOT NULL, file_name text NOT NULL, file_sha256 text NOT NULL,
    rows integer NOT NULL, areas integer NOT NULL, columns text NOT NULL, pairs text NOT NULL,
    threshold integer NOT NULL, suppression text NOT NULL,
    uploaded_by text NOT NULL, role text NOT NULL, created_at text NOT NULL,
    values_parquet bytea NOT NULL, log_parquet bytea NOT NULL, payload_sha256 text NOT NULL,
    UNIQUE (gemeente, year, name, version)
);
CREATE TABLE IF NOT EXISTS stapelkaart_dataset_current (
    gemeente text NOT NULL, year integer NOT NULL, name text NOT NULL,
    version_id bigint NOT NULL REFERENCES stapelkaart_dataset_versions(id),
    PRIMARY KEY (gemeente, year, name)
);
CREATE TABLE IF NOT EXISTS stapelkaart_dataset_audit (
    id bigserial PRIMARY KEY, at text NOT NULL, who text NOT NULL, role text NOT NULL,
    action text NOT NULL, gemeente text, year integer, dataset text, version integer,
    detail text NOT NULL DEFAULT ''
);
CREATE OR REPLACE FUNCTION stapelkaart_dataset_refuse() RETURNS trigger
    LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '%', TG_ARGV[0]; END $$;
CREATE TRIGGER stapelkaart_dataset_audit_no_change
    BEFORE UPDATE OR DELETE ON stapelkaart_dataset_audit
    FOR EACH ROW EXECUTE FUNCTION stapelkaart_dataset_refuse('the audit log is append-only');
CREATE TRIGGER stapelkaart_dataset_audit_no_truncate
    BEFORE TRUNCATE ON stapelkaart_dataset_audit
    FOR EACH STATEMENT EXECUTE FUNCTION stapelkaart_dataset_refuse('the audit log is append-only');
CREATE TRIGGER stapelkaart_dataset_versions_no_update
    BEFORE UPDATE ON stapelkaart_dataset_versions
    FOR EACH ROW EXECUTE FUNCTION stapelkaart_dataset_refuse('stored versions are never changed');
"""


def _unusable(url: str, exc: BaseException | str) -> DatasetError:
    where = redacted(url)
    return DatasetError(
        f"The dataset store database at {where} cannot be used or is unreadable "
        f"({reason(url, exc)}); nothing was changed. Check STAPELKAART_DATABASE_URL or ask "
        "the administrator.",
        nl=f"De database met eigen datasets ({where}) is niet bruikbaar of onleesbaar; er is "
        "niets gewijzigd. Controleer STAPELKAART_DATABASE_URL of vraag de beheerder.",
    )


class PostgresDatasetStore:
    """The dataset store in a PostgreSQL database (see the module docstring).

    Parameters
    ----------
    url
        A libpq connection URL or string, e.g. ``postgresql://user@host/db``.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.location = redacted(url)

    # -- connection -------------------------------------------------------------------
    @contextlib.contextmanager
    def _connect(self, *, write: bool) -> Iterator[Any]:
        """A cursor in one transaction, or None when a reader finds no tables yet."""
        with transaction(
            self.url, write=write, lock=_LOCK, unusable=lambda exc: _unusable(self.url, exc)
        ) as cur:
            cur.execute("SELECT to_regclass('stapelkaart_datasets_meta') IS NOT NULL")
            if not cur.fetchone()[0]:
                if not write:
                    yield None  # an empty database reads as an empty store
                    return
                cur.execute(_SCHEMA)
                cur.execute(
                    "INSERT INTO stapelkaart_datasets_meta VALUES ('schema_version', %s), "
                    "('generation', '0')",
                    (str(SCHEMA_VERSION),),
                )
            cur.execute("SELECT value FROM stapelkaart_datasets_meta WHERE key = 'schema_version'")
            row = cur.fetchone()
            if row is None or row[0] != str(SCHEMA_VERSION):
                found = row and row[0]
                raise _unusable(self.url, f"schema version {found}, expected {SCHEMA_VERSION}")
            yield cur

    # -- reads ------------------------------------------------------------------------
    def generation(self) -> int:
        """See :meth:`cbs_ingest.datasets.DatasetStore.generation`."""
        with self._connect(write=False) as cur:
            if cur is None:
                return 0
            cur.execute("SELECT value FROM stapelkaart_datasets_meta WHERE key = 'generation'")
            row = cur.fetchone()
            return int(row[0]) if row else 0

    def list(
        self,
        *,
        gemeente: str | None = None,
        year: int | None = None,
        all_versions: bool = False,
    ) -> builtins.list[DatasetVersion]:
        """See :meth:`cbs_ingest.datasets.DatasetStore.list`."""
        clauses: builtins.list[str] = []
        args: builtins.list[Any] = []
        if gemeente is not None:
            clauses.append("v.gemeente = %s")
            args.append(gemeente)
        if year is not None:
            clauses.append("v.year = %s")
            args.append(int(year))
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        join = "LEFT JOIN" if all_versions else "JOIN"
        with self._connect(write=False) as cur:
            if cur is None:
                return []
            cur.execute(
                f"SELECT {_META_SELECT}, c.version_id IS NOT NULL "
                f"FROM stapelkaart_dataset_versions v {join} stapelkaart_dataset_current c "
                f"ON c.version_id = v.id{where} ORDER BY v.gemeente, v.year, v.name, v.version",
                args,
            )
            rows = cur.fetchall()
        return [meta_from_row(r) for r in rows]

    def latest(
        self, gemeente: str, year: int, *, allowed: Iterable[str] | None
    ) -> builtins.list[StoredDataset]:
        """See :meth:`cbs_ingest.datasets.DatasetStore.latest`."""
        names = None if allowed is None else builtins.list(allowed)
        with self._connect(write=False) as cur:
            if cur is None or names == []:
                return []
            only = "" if names is None else " AND c.name = ANY(%s)"
            cur.execute(
                f"SELECT {_META_SELECT}, true, v.values_parquet, v.log_parquet "
                "FROM stapelkaart_dataset_current c "
                "JOIN stapelkaart_dataset_versions v ON v.id = c.version_id "
                f"WHERE c.gemeente = %s AND c.year = %s{only} ORDER BY v.name",
                (gemeente, int(year)) + (() if names is None else (names,)),
            )
            rows = cur.fetchall()

        def broken(exc: Exception) -> DatasetError:
            return _unusable(self.url, exc)

        return [
            stored_dataset(meta_from_row(row[:-2]), row[-2], row[-1], broken=broken) for row in rows
        ]

    def audit_log(self, *, limit: int | None = None) -> pd.DataFrame:
        """See :meth:`cbs_ingest.datasets.DatasetStore.audit_log`."""
        with self._connect(write=False) as cur:
            if cur is None:
                return pd.DataFrame(columns=AUDIT_COLUMNS)
            sql = (
                f"SELECT {', '.join(AUDIT_COLUMNS)} FROM stapelkaart_dataset_audit ORDER BY id DESC"
            )
            if limit is not None:
                sql += f" LIMIT {int(limit)}"
            cur.execute(sql)
            frame = pd.DataFrame(cur.fetchall(), columns=AUDIT_COLUMNS)
        return frame.astype({"year": "Int64", "version": "Int64"})

    # -- writes -----------------------------------------------------------------------
    def add(
        self, dataset: NewDataset, *, replaces: int | None, who: str, role: str
    ) -> DatasetVersion:
        """See :meth:`cbs_ingest.datasets.DatasetStore.add`."""
        stored = payload(dataset)
        key = (dataset.gemeente, int(dataset.year), dataset.name)
        with self._connect(write=True) as cur:
            current = self._current(cur, *key)
            check_expected(dataset, current, replaces)
            cur.execute(
                "SELECT coalesce(max(version), 0) FROM stapelkaart_dataset_versions "
                "WHERE gemeente = %s AND year = %s AND name = %s",
                key,
            )
            number = int(cur.fetchone()[0]) + 1
            cur.execute(
                "INSERT INTO stapelkaart_dataset_versions (gemeente, year, name, version, level, "
                "file_name, file_sha256, rows, areas, columns, pairs, threshold, suppression, "
                "uploaded_by, role, created_at, values_parquet, log_parquet, payload_sha256) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
                f"%s) RETURNING {', '.join(META_COLUMNS)}, true",
                (
                    *key, number, dataset.level, dataset.file_name, dataset.file_sha256,
                    int(dataset.rows), stored.areas, stored.columns_json, stored.pairs_json,
                    int(dataset.threshold), stored.suppression_json, who, role, now(),
                    stored.values_blob, stored.log_blob, stored.sha256,
                ),
            )  # fmt: skip
            meta = meta_from_row(cur.fetchone())
            cur.execute(
                "INSERT INTO stapelkaart_dataset_current VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (gemeente, year, name) DO UPDATE SET version_id = EXCLUDED.version_id",
                (*key, meta.id),
            )
            self._bump(cur)
            self._audit(
                cur,
                "replace" if current is not None else "upload",
                who=who,
                role=role,
                gemeente=dataset.gemeente,
                year=dataset.year,
                dataset=dataset.name,
                version=number,
                detail=add_detail(dataset, stored, current),
            )
        return meta

    def remove(
        self,
        name: str,
        *,
        gemeente: str,
        year: int,
        who: str,
        role: str,
        expected: int | None = None,
    ) -> DatasetVersion:
        """See :meth:`cbs_ingest.datasets.DatasetStore.remove`."""
        with self._connect(write=True) as cur:
            current = self._current(cur, gemeente, int(year), name)
            if current is None:
                raise not_found(name, gemeente, year)
            if expected is not None and current.version != expected:
                raise conflict(current, verb="verwijderen")
            cur.execute(
                "DELETE FROM stapelkaart_dataset_current "
                "WHERE gemeente = %s AND year = %s AND name = %s",
                (gemeente, int(year), name),
            )
            self._bump(cur)
            self._audit(
                cur,
                "remove",
                who=who,
                role=role,
                gemeente=gemeente,
                year=year,
                dataset=name,
                version=current.version,
                detail=f"versie {current.version} verwijderd voor iedereen",
            )
        return current

    def audit(self, action: str, *, who: str, role: str, **what: Any) -> None:
        """See :meth:`cbs_ingest.datasets.DatasetStore.audit`."""
        row = audit_row(action, who=who, role=role, **what)  # checked before connecting
        with self._connect(write=True) as cur:
            self._insert_audit(cur, row)

    # -- helpers ----------------------------------------------------------------------
    @classmethod
    def _audit(cls, cur: Any, action: str, *, who: str, role: str, **what: Any) -> None:
        cls._insert_audit(cur, audit_row(action, who=who, role=role, **what))

    @staticmethod
    def _insert_audit(cur: Any, row: tuple) -> None:
        cur.execute(
            f"INSERT INTO stapelkaart_dataset_audit ({', '.join(AUDIT_COLUMNS)}) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            row,
        )

    @staticmethod
    def _bump(cur: Any) -> None:
        cur.execute(
            "UPDATE stapelkaart_datasets_meta SET value = (value::bigint + 1)::text "
            "WHERE key = 'generation'"
        )

    @staticmethod
    def _current(cur: Any, gemeente: str, year: int, name: str) -> DatasetVersion | None:
        cur.execute(
            f"SELECT {_META_SELECT}, true FROM stapelkaart_dataset_current c "
            "JOIN stapelkaart_dataset_versions v ON v.id = c.version_id "
            "WHERE c.gemeente = %s AND c.year = %s AND c.name = %s",
            (gemeente, int(year), name),
        )
        row = cur.fetchone()
        return None if row is None else meta_from_row(row)
