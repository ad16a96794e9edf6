"""The municipality's own datasets, stored for every user, and the audit log.

A confirmed upload is stored *after* disclosure control: only the protected
(suppressed) values per area and level, the suppression log and a summary,
never the raw file and never person-level data. Each store keeps

- the catalogue: which version of each ``(gemeente, year, name)`` is current;
- every version ever stored (who, when, file name, checksums, row counts, the
  suppression applied, and the protected values as a Parquet blob with its
  SHA-256), so earlier versions remain for the audit trail;
- the audit log: every upload, replacement, removal and download, append-only.

:class:`DatasetStore` is the interface; :func:`open_store` returns the backend
chosen by the environment. The embedded backend
(:class:`~cbs_ingest.datasets_sqlite.SqliteDatasetStore`) is one SQLite file in
the data directory (WAL mode, one ``BEGIN IMMEDIATE`` transaction per change, so
a change is stored whole or not at all); several app processes on one machine
may share the file. With ``STAPELKAART_DATABASE_URL`` set, the PostgreSQL
backend (:class:`~cbs_ingest.datasets_postgres.PostgresDatasetStore`) keeps the
same tables in that database, for app processes on several machines (one
transaction per change, writers serialised by an advisory lock). Writers pass the version they
replace (optimistic concurrency): when someone else changed the dataset in the
meantime the write is refused with a :class:`~cbs_ingest.errors.DatasetConflictError`
and nothing is written.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from cbs_ingest.cache import data_dir
from cbs_ingest.store import DATABASE_URL_ENV

__all__ = [
    "AUDIT_ACTIONS",
    "FILE_ENV",
    "DatasetStore",
    "DatasetVersion",
    "NewDataset",
    "StoredDataset",
    "open_store",
    "store_path",
]

#: Environment variable naming the store file (default: ``datasets.sqlite`` in the data directory).
FILE_ENV = "STAPELKAART_DATASETS_FILE"
#: What the audit log records.
AUDIT_ACTIONS = ("upload", "replace", "remove", "download", "audit_export")


@dataclass(frozen=True)
class NewDataset:
    """A protected dataset ready to be stored.

    Attributes
    ----------
    gemeente, year, name
        What the dataset is: ``name`` is what the roles file's ``datasets`` rule names.
    level
        Level of the uploaded codes (``buurt`` or ``wijk``).
    file_name, file_sha256
        The uploaded file's name and the SHA-256 of its bytes (the file is not stored).
    rows
        Data rows of the uploaded file.
    values
        Long table ``level, code, column, value``: the *protected* values per
        level the figures reach (suppressed cells are missing).
    log
        The suppression log (``level, code, column, reason, ...``).
    columns, pairs
        The uploaded count columns, and numerator → denominator pairs.
    threshold
        The disclosure threshold applied.
    """

    gemeente: str
    year: int
    name: str
    level: str
    file_name: str
    file_sha256: str
    rows: int
    values: pd.DataFrame
    log: pd.DataFrame
    columns: tuple[str, ...]
    pairs: Mapping[str, str] = field(default_factory=dict)
    threshold: int = 10


@dataclass(frozen=True)
class DatasetVersion:
    """One stored version, without its values."""

    id: int
    gemeente: str
    year: int
    name: str
    version: int
    level: str
    file_name: str
    file_sha256: str
    rows: int
    areas: int
    columns: tuple[str, ...]
    pairs: dict[str, str]
    threshold: int
    suppression: dict[str, int]
    uploaded_by: str
    role: str
    created_at: str
    payload_sha256: str
    current: bool = False


@dataclass(frozen=True)
class StoredDataset:
    """The current version of a dataset with its protected values."""

    meta: DatasetVersion
    values: pd.DataFrame
    log: pd.DataFrame


class DatasetStore(Protocol):
    """What every backend of the dataset store offers (the tests run against each)."""

    def generation(self) -> int:
        """A number that grows with every change of the catalogue (cheap; read on each rerun)."""

    def add(
        self, dataset: NewDataset, *, replaces: int | None, who: str, role: str
    ) -> DatasetVersion:
        """Store a new dataset (``replaces=None``) or a new version replacing ``replaces``."""

    def latest(
        self, gemeente: str, year: int, *, allowed: Iterable[str] | None
    ) -> list[StoredDataset]:
        """The current version of each dataset of a gemeente-year that ``allowed`` names."""

    def list(
        self,
        *,
        gemeente: str | None = None,
        year: int | None = None,
        all_versions: bool = False,
    ) -> list[DatasetVersion]:
        """Current versions (or every version) without values."""

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
        """Remove a dataset for everyone; its versions stay for the audit trail."""

    def audit(self, action: str, *, who: str, role: str, **what: Any) -> None:
        """Append one line to the audit log."""

    def audit_log(self, *, limit: int | None = None) -> pd.DataFrame:
        """The audit log, newest first."""


def store_path() -> Path:
    """The store file: ``$STAPELKAART_DATASETS_FILE``, else ``datasets.sqlite`` in the data dir."""
    override = os.environ.get(FILE_ENV, "").strip()
    return Path(override).expanduser() if override else data_dir() / "datasets.sqlite"


def open_store(path: Path | None = None) -> DatasetStore:
    """Open the configured store.

    ``STAPELKAART_DATABASE_URL`` selects the PostgreSQL backend
    (:mod:`cbs_ingest.datasets_postgres`), in the same database as the area
    store; otherwise (or when ``path`` is given) the embedded SQLite file
    :func:`store_path` is used. Nothing is connected or created until first use.
    """
    url = os.environ.get(DATABASE_URL_ENV, "").strip()
    if url and path is None:
        from cbs_ingest.datasets_postgres import PostgresDatasetStore

        return PostgresDatasetStore(url)
    from cbs_ingest.datasets_sqlite import SqliteDatasetStore

    return SqliteDatasetStore(store_path() if path is None else Path(path))
