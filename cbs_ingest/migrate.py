"""Move entries of the old request-keyed cache (``<data dir>/kwb``) into the area store.

Runs when the store is opened and finds old manifests. Each verified entry is
stored as one ingest (oldest first, so the newest copy of a gemeente wins) and
its two files are deleted only after the store committed it. An entry that is
damaged is left where it is, with a note telling the user to ingest it again.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from cbs_ingest import cache
from cbs_ingest.join import JoinReport
from cbs_ingest.store import Store

__all__ = ["migrate_legacy"]


def migrate_legacy(store: Store, folder: Path) -> list[str]:
    """Migrate the old cache in ``folder`` into ``store``.

    Returns
    -------
    list of str
        English notes: how many entries moved, and each entry that could not.

    Raises
    ------
    StoreError
        The store could not be written; the old entries are left untouched.
    """
    if not folder.is_dir():
        return []
    manifests = sorted(folder.glob("kwb*.json"))
    if not manifests:
        return []
    notes: list[str] = []
    entries = []
    for manifest in manifests:
        entry, _ = cache.lookup(manifest.stem)
        if entry is None or not _complete(entry.manifest):
            notes.append(
                f"Old cache entry {manifest.name} in {folder} is damaged and was not moved into "
                f"the area store; ingest it again (stapelkaart ingest) and delete the file."
            )
            continue
        entries.append(entry)
    for entry in sorted(entries, key=lambda e: e.retrieved_at):
        frames = cache.read_frames(entry)
        content = entry.manifest
        request, provenance = content["request"], dict(content["provenance"])
        codes = list(request.get("municipalities") or [])
        provenance.setdefault("retrieved_at", content["retrieved_at"])
        store.put_areas(
            frames,
            provenance=provenance,
            report=JoinReport.from_dict(content["report"]),
            geometry_key=request["geometry"],
            whole_country=not codes,
            codes=codes,
            notes=list(content.get("notes", [])),
            # reasons were counted per request: exact for one gemeente only
            missing_by_gemeente={codes[0]: provenance.get("missing", {})}
            if len(codes) == 1
            else None,
        )
        for path in (entry.parquet, entry.manifest_path):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
    if entries:
        notes.insert(0, f"Moved {len(entries)} old cache entr{'y' if len(entries) == 1 else 'ies'} "
                     f"from {folder} into the area store.")  # fmt: skip
    with contextlib.suppress(OSError):
        folder.rmdir()  # only when empty
    return notes


def _complete(manifest: dict) -> bool:
    try:
        provenance = manifest["provenance"]
        return (
            all(k in provenance for k in ("year", "table_id"))
            and bool(manifest["request"]["geometry"])
            and isinstance(manifest["report"], dict)
        )
    except (KeyError, TypeError):
        return False
