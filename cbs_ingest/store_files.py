"""GeoParquet files of the embedded area store: atomic writes, checked reads, tidying.

Used by :mod:`cbs_ingest.store_local`; the SQLite catalogue there decides which
files count. A file is written to a temporary name, synced, hashed and moved
into place with :func:`os.replace`; its name carries its SHA-256 prefix and a
random part, so two writers never share a file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd

from cbs_ingest.columns import LEVELS
from cbs_ingest.errors import StoreError

__all__ = ["sha256", "write_areas", "read_areas", "file_ok", "remove_leftovers"]

_ROW_GROUP = 1000
_LEFTOVER_SECONDS = 3600.0


def sha256(path: Path) -> str:
    """SHA-256 of a file, hex."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_areas(
    folder: Path,
    frames: Mapping[str, gpd.GeoDataFrame],
    *,
    unwritable: Callable[[BaseException], StoreError],
) -> tuple[Path, str, int]:
    """Write all levels to a new file in ``folder``; returns its path, SHA-256 and size.

    Rows are sorted by gemeente, in row groups of 1,000, so that one gemeente
    is read without the rest of the file.
    """
    combined = gpd.GeoDataFrame(
        pd.concat([frames[level] for level in LEVELS], ignore_index=True),
        geometry="geometry",
        crs=28992,
    ).sort_values(["gemeentecode", "level", "code"], kind="stable")
    staging = folder / f".areas-{uuid.uuid4().hex[:12]}.parquet.tmp"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        combined.to_parquet(staging, index=False, row_group_size=_ROW_GROUP)
        with staging.open("rb+") as handle:
            os.fsync(handle.fileno())
        digest = sha256(staging)
        target = folder / f"areas-{digest[:16]}-{uuid.uuid4().hex[:8]}.parquet"
        os.replace(staging, target)
    except OSError as exc:
        raise unwritable(exc) from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            staging.unlink()
    return target, digest, target.stat().st_size


def file_ok(path: Path, sha: str, size: int) -> bool:
    """Whether the file exists with this size and SHA-256."""
    try:
        return path.stat().st_size == size and sha256(path) == sha
    except OSError:
        return False


def read_areas(
    path: Path,
    sha: str,
    size: int,
    codes: list[str],
    *,
    damaged: Callable[[str, BaseException | str], StoreError],
) -> gpd.GeoDataFrame:
    """The rows of gemeenten ``codes`` from a file, after checking its size and checksum."""
    name = f"{path.parent.name}/{path.name}"
    if not path.exists():
        raise damaged(f"file {name} is missing", "not found")
    if not file_ok(path, sha, size):
        raise damaged(f"file {name} fails its checksum", "size or SHA-256 differs")
    try:
        return gpd.read_parquet(path, filters=[("gemeentecode", "in", codes)])
    except Exception as exc:  # pyarrow raises several types on damaged files
        raise damaged(f"file {name} cannot be read", exc) from exc


def remove_leftovers(folder: Path, referenced: set[str]) -> None:
    """Delete files in ``folder`` the catalogue does not name, once older than an hour.

    These are temporary files and files of writes killed before their commit;
    a younger one may belong to a write that has not committed yet.
    """
    if not folder.is_dir():
        return
    now = time.time()
    for path in folder.iterdir():
        with contextlib.suppress(OSError):
            if (
                f"{folder.name}/{path.name}" not in referenced
                and now - path.stat().st_mtime > _LEFTOVER_SECONDS
            ):
                path.unlink()
