"""The old request-keyed GeoParquet cache, kept to migrate it into the area store.

Stapelkaart now keeps its data in the area store (:mod:`cbs_ingest.store`);
:mod:`cbs_ingest.migrate` reads this format once and moves it there. An entry
is two files in ``<data dir>/kwb``:

- ``<name>-<sha12>.parquet``: all levels of one request in one GeoParquet file;
- ``<name>.json``: the manifest, naming that file with its SHA-256 and size,
  plus the request, provenance and join report.

Both are written to a temporary file first and moved into place with
:func:`os.replace`; the manifest goes last and is the commit point. A reader
trusts an entry only when the manifest parses and the parquet file's checksum
matches, so an interrupted download or a damaged file is refetched, never read.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from cbs_ingest.columns import LEVELS
from cbs_ingest.errors import CacheError
from cbs_ingest.store import DATA_DIR_ENV, data_dir

__all__ = [
    "CACHE_VERSION",
    "DATA_DIR_ENV",
    "CacheEntry",
    "data_dir",
    "cache_dir",
    "entry_name",
    "lookup",
    "read_frames",
    "write_entry",
    "list_entries",
]

CACHE_VERSION = 1


def cache_dir() -> Path:
    """Folder of the old KWB cache entries."""
    return data_dir() / "kwb"


def entry_name(request: dict[str, Any]) -> str:
    """File name stem for a request: readable prefix plus a hash of the whole request."""
    blob = json.dumps(request, sort_keys=True, default=str).encode()
    digest = hashlib.sha256(blob).hexdigest()[:16]
    codes = request.get("municipalities") or []
    scope = "NL" if not codes else (codes[0] if len(codes) == 1 else f"{codes[0]}+{len(codes) - 1}")
    return f"kwb{request.get('year')}_{scope}_{digest}"


@dataclass(frozen=True)
class CacheEntry:
    """A verified cache entry.

    Attributes
    ----------
    name
        Hashed name of the request.
    parquet, manifest_path
        The two files of the entry.
    manifest
        The parsed manifest.
    """

    name: str
    parquet: Path
    manifest_path: Path
    manifest: dict[str, Any]

    @property
    def retrieved_at(self) -> datetime:
        """When the data was downloaded (UTC)."""
        return datetime.fromisoformat(self.manifest["retrieved_at"])

    @property
    def age(self) -> timedelta:
        """Time since the download."""
        return datetime.now(UTC) - self.retrieved_at


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _verify(manifest_path: Path) -> CacheEntry | None:
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if manifest.get("version") != CACHE_VERSION:
            return None
        parquet = manifest_path.with_name(manifest["file"])
        if parquet.stat().st_size != manifest["size"] or _sha256(parquet) != manifest["sha256"]:
            return None
        datetime.fromisoformat(manifest["retrieved_at"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return CacheEntry(manifest_path.stem, parquet, manifest_path, manifest)


def lookup(name: str) -> tuple[CacheEntry | None, str | None]:
    """Find a verified entry.

    Returns
    -------
    tuple
        ``(entry, None)`` when usable, ``(None, None)`` when absent, and
        ``(None, reason)`` when present but damaged.
    """
    manifest_path = cache_dir() / f"{name}.json"
    if not manifest_path.exists():
        return None, None
    entry = _verify(manifest_path)
    if entry is None:
        return None, f"cache entry {manifest_path.name} is damaged or incomplete; refetching"
    return entry, None


def read_frames(entry: CacheEntry) -> dict[str, gpd.GeoDataFrame]:
    """Read the frames of a verified entry, one GeoDataFrame per level."""
    try:
        frame = gpd.read_parquet(entry.parquet)
    except Exception as exc:  # pyarrow raises several types on damaged files
        raise CacheError(
            f"Cache file {entry.parquet.name} could not be read ({exc}).",
            nl=f"Cachebestand {entry.parquet.name} kon niet gelezen worden.",
        ) from exc
    out = {}
    for level in LEVELS:
        part = frame[frame["level"] == level].reset_index(drop=True)
        part = part.astype({"wijkcode": "object"})
        part["wijkcode"] = part["wijkcode"].where(part["wijkcode"].notna(), None)
        out[level] = part
    return out


def _atomic_write_text(target: Path, text: str) -> None:
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with tmp.open("w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _remove_leftovers(folder: Path, *, older_than: float = 3600.0) -> None:
    """Delete temporary files of writes that were killed (never read, only tidied)."""
    now = time.time()
    for leftover in folder.glob(".*.tmp"):
        with contextlib.suppress(OSError):
            if now - leftover.stat().st_mtime > older_than:
                leftover.unlink()


def write_entry(
    name: str, frames: dict[str, gpd.GeoDataFrame], manifest: dict[str, Any]
) -> CacheEntry:
    """Write an entry atomically and return it.

    Raises
    ------
    CacheError
        The cache folder is not writable.
    """
    folder = cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _remove_leftovers(folder)
        combined = gpd.GeoDataFrame(
            pd.concat([frames[level] for level in LEVELS], ignore_index=True),
            geometry="geometry",
            crs=28992,
        )
        staging = folder / f".{name}.{uuid.uuid4().hex[:8]}.parquet.tmp"
        try:
            combined.to_parquet(staging, index=False)
            with staging.open("rb+") as handle:
                os.fsync(handle.fileno())
            digest = _sha256(staging)
            parquet = folder / f"{name}-{digest[:12]}.parquet"
            os.replace(staging, parquet)
        finally:
            with contextlib.suppress(FileNotFoundError):
                staging.unlink()
        full = dict(manifest)
        full.update(
            version=CACHE_VERSION,
            file=parquet.name,
            sha256=digest,
            size=parquet.stat().st_size,
        )
        manifest_path = folder / f"{name}.json"
        old_file = None
        with contextlib.suppress(OSError, ValueError, KeyError):
            old_file = json.loads(manifest_path.read_text(encoding="utf-8"))["file"]
        text = json.dumps(full, indent=1, sort_keys=True, default=str)
        _atomic_write_text(manifest_path, text)
        if old_file and old_file != parquet.name:
            with contextlib.suppress(OSError):
                (folder / old_file).unlink()
    except OSError as exc:
        raise CacheError(
            f"Could not write the cache in {folder} ({exc.strerror or exc}).",
            nl=f"De cache in {folder} kon niet geschreven worden.",
        ) from exc
    return CacheEntry(name, parquet, manifest_path, full)


def list_entries() -> list[CacheEntry]:
    """Every verified entry in the cache, newest first."""
    folder = cache_dir()
    if not folder.is_dir():
        return []
    entries = [e for e in (_verify(p) for p in folder.glob("kwb*.json")) if e is not None]
    return sorted(entries, key=lambda e: e.retrieved_at, reverse=True)
