"""What every backend of the dataset store shares: payloads, rows, checks and messages.

The backends (:mod:`cbs_ingest.datasets_sqlite`, :mod:`cbs_ingest.datasets_postgres`)
differ only in how they hold the rows; the stored payload (Parquet blobs and
their SHA-256), the columns of a version, the optimistic-concurrency checks,
the audit fields and every message come from here, so both behave alike.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from cbs_ingest.datasets import AUDIT_ACTIONS, DatasetVersion, NewDataset, StoredDataset
from cbs_ingest.errors import DatasetConflictError, DatasetError

__all__ = [
    "AUDIT_COLUMNS",
    "AUDIT_FIELDS",
    "META_COLUMNS",
    "Payload",
    "audit_row",
    "check_expected",
    "conflict",
    "meta_from_row",
    "not_found",
    "now",
    "payload",
    "stored_dataset",
]

#: The columns of a version without its values, in the order of :class:`DatasetVersion`.
META_COLUMNS = (  # noqa: SIM905
    "id gemeente year name version level file_name file_sha256 rows areas columns pairs "
    "threshold suppression uploaded_by role created_at payload_sha256"
).split()
AUDIT_COLUMNS = "at who role action gemeente year dataset version detail".split()  # noqa: SIM905
#: The fields an audit line may carry besides who, role and action.
AUDIT_FIELDS = ("gemeente", "year", "dataset", "version", "detail")


def now() -> str:
    """The time of a change: UTC, ISO 8601, to the second."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.reset_index(drop=True).to_parquet(buffer, index=False)
    return buffer.getvalue()


def _clean_values(values: pd.DataFrame) -> pd.DataFrame:
    need = ["level", "code", "column", "value"]
    missing = [c for c in need if c not in values.columns]
    if missing:
        raise ValueError(f"values lack column(s) {missing}")
    out = values[need].copy()
    out["value"] = pd.to_numeric(out["value"], errors="raise").astype(float)
    return out


@dataclass(frozen=True)
class Payload:
    """What a backend stores of a :class:`NewDataset` besides who, when and its number."""

    values_blob: bytes
    log_blob: bytes
    sha256: str
    areas: int
    suppression: dict[str, int]
    columns_json: str
    pairs_json: str
    suppression_json: str


def payload(dataset: NewDataset) -> Payload:
    """The Parquet blobs, checksum, area count and suppression summary of a dataset."""
    values = _clean_values(dataset.values)
    values_blob, log_blob = _parquet(values), _parquet(dataset.log)
    reasons = dataset.log["reason"] if "reason" in dataset.log.columns else pd.Series([])
    suppression = {
        "cells": int(len(dataset.log)),
        "primary": int((reasons == "primary").sum()),
        "secondary": int((reasons == "secondary").sum()),
        "threshold": int(dataset.threshold),
    }
    return Payload(
        values_blob=values_blob,
        log_blob=log_blob,
        sha256=hashlib.sha256(values_blob + log_blob).hexdigest(),
        areas=int(values.loc[values["level"] == dataset.level, "code"].nunique()),
        suppression=suppression,
        columns_json=json.dumps(list(dataset.columns)),
        pairs_json=json.dumps(dict(dataset.pairs)),
        suppression_json=json.dumps(suppression),
    )


def add_detail(dataset: NewDataset, stored: Payload, current: DatasetVersion | None) -> str:
    """The audit detail of an upload or replacement."""
    return (
        f"{dataset.file_name} sha256={dataset.file_sha256[:12]} rows={dataset.rows} "
        f"onderdrukt={stored.suppression['cells']}"
        + (f" vervangt versie {current.version}" if current is not None else "")
    )


def meta_from_row(row: tuple | list) -> DatasetVersion:
    """A version from its :data:`META_COLUMNS` followed by whether it is current."""
    meta = dict(zip(META_COLUMNS, row, strict=False))
    for key in ("columns", "pairs", "suppression"):
        meta[key] = json.loads(meta[key])
    meta["columns"] = tuple(meta["columns"])
    return DatasetVersion(**meta, current=bool(row[len(META_COLUMNS)]))


def stored_dataset(
    meta: DatasetVersion,
    values_blob: bytes,
    log_blob: bytes,
    *,
    broken: Callable[[Exception], DatasetError],
) -> StoredDataset:
    """A current version with its values, after checking the payload's SHA-256."""
    values_blob, log_blob = bytes(values_blob), bytes(log_blob)
    if hashlib.sha256(values_blob + log_blob).hexdigest() != meta.payload_sha256:
        raise broken(ValueError(f"checksum mismatch in {meta.name}"))
    try:
        values = pd.read_parquet(io.BytesIO(values_blob))
        log = pd.read_parquet(io.BytesIO(log_blob))
    except Exception as exc:  # a damaged blob: pyarrow raises several kinds
        raise broken(exc) from None
    return StoredDataset(meta, values, log)


def audit_row(action: str, *, who: str, role: str, **what: Any) -> tuple:
    """The row ``at, who, role, action, gemeente, year, dataset, version, detail`` to append."""
    if action not in AUDIT_ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    unknown = set(what) - set(AUDIT_FIELDS)
    if unknown:
        raise ValueError(f"unknown audit field(s) {sorted(unknown)}")
    return (
        now(),
        str(who),
        str(role),
        action,
        what.get("gemeente"),
        None if what.get("year") is None else int(what["year"]),
        what.get("dataset"),
        None if what.get("version") is None else int(what["version"]),
        str(what.get("detail", "")),
    )


def not_found(name: str, gemeente: str, year: int) -> DatasetError:
    """Removing a dataset that is not stored."""
    return DatasetError(
        f"No dataset {name!r} for {gemeente} in {year}; nothing was removed.",
        nl=f"Er is geen dataset {name!r} voor {gemeente} in {year}; er is niets verwijderd.",
    )


def check_expected(
    dataset: NewDataset, current: DatasetVersion | None, replaces: int | None
) -> None:
    """Refuse a write that does not replace the version now current (optimistic concurrency)."""
    if current is None and replaces is None:
        return
    if current is not None and replaces is None:
        raise DatasetConflictError(
            f"A dataset {dataset.name!r} for {dataset.gemeente} in {dataset.year} exists "
            f"already (version {current.version}, by {current.uploaded_by}); "
            "replace it explicitly or choose another name. Nothing was written.",
            nl=f"Er bestaat al een dataset {dataset.name!r} voor {dataset.gemeente} in "
            f"{dataset.year} (versie {current.version}, van {current.uploaded_by}). "
            "Kies een andere naam of vervang hem bewust. Er is niets opgeslagen.",
        )
    if current is None or current.version != replaces:
        raise conflict(current, verb="vervangen", name=dataset.name)


def conflict(
    current: DatasetVersion | None, *, verb: str, name: str | None = None
) -> DatasetConflictError:
    """Someone else changed or removed the dataset since the caller saw it."""
    if current is None:
        return DatasetConflictError(
            f"Dataset {name!r} was removed by someone else in the meantime; nothing was written.",
            nl=f"De dataset {name!r} is intussen door iemand anders verwijderd. Er is niets "
            "opgeslagen; bevestig opnieuw om hem als nieuwe dataset op te slaan.",
        )
    return DatasetConflictError(
        f"Dataset {current.name!r} was changed in the meantime (now version "
        f"{current.version} by {current.uploaded_by} at {current.created_at}); nothing was "
        "written.",
        nl=f"De dataset {current.name!r} is intussen gewijzigd (nu versie {current.version}, "
        f"van {current.uploaded_by} om {current.created_at}). Er is niets {verb}: bekijk "
        "de nieuwe versie en probeer het opnieuw.",
    )
