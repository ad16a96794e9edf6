"""Protected own data to and from the dataset store (pure functions).

:func:`to_new_dataset` turns the protected entries of a confirmed upload
(:func:`geo_app.session.own_data.build_entries`) into what the store keeps:
only the protected values per area and level and the suppression log.
:func:`entries_from_stored` turns the current stored datasets of a gemeente-year
back into the entries the sidebar and pages read, one per level, all datasets
of that level merged. :func:`previous_version` turns the published version of a
dataset that is being replaced into what disclosure control protects the new
version against.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from cbs_ingest.datasets import NewDataset, StoredDataset
from geo_app.session import own_data as _own_data
from layers.disclosure import PreviousVersion, SuppressionResult
from layers.municipal import PREFIX, _safe, join_municipal
from layers.upload import UploadResult

__all__ = ["entries_from_stored", "previous_version", "to_new_dataset"]


def to_new_dataset(
    built: Mapping[str, Mapping[str, Any]],
    result: UploadResult,
    *,
    gemeente: str,
    year: int,
    name: str,
    file_name: str,
    data: bytes,
) -> NewDataset:
    """What the store keeps of a confirmed, protected upload.

    Parameters
    ----------
    built
        ``{level: entry}`` from ``build_entries`` (the values are protected already).
    result
        The confirmed upload (its column names, pairs and row count; not its values).
    gemeente, year, name
        Where the dataset belongs and its name.
    file_name, data
        The uploaded file's name and bytes (only its SHA-256 is kept).

    Returns
    -------
    NewDataset
    """
    columns = [str(c) for c in result.frame.columns if c != "code"]
    original = {_safe(c): c for c in columns}
    parts, logs = [], []
    for level, entry in built.items():
        frame = entry["frame"]
        gem = [c for c in frame.columns if str(c).startswith(PREFIX) and c in original]
        long = pd.DataFrame(frame[["code", *gem]]).melt(
            id_vars="code", var_name="column", value_name="value"
        )
        long["column"] = long["column"].map(original)
        parts.append(long.assign(level=level))
        logs.append(entry["log"].assign(level=level))
    values = pd.concat(parts, ignore_index=True)[["level", "code", "column", "value"]]
    log = pd.concat(logs, ignore_index=True) if logs else pd.DataFrame()
    first = next(iter(built.values()))
    return NewDataset(
        gemeente=gemeente,
        year=int(year),
        name=name,
        level=str(first["level"]),
        file_name=file_name,
        file_sha256=hashlib.sha256(data).hexdigest(),
        rows=len(result.frame),
        values=values,
        log=log,
        columns=tuple(columns),
        pairs=dict(result.pairs),
        threshold=int(first["threshold"]),
    )


def previous_version(stored: StoredDataset) -> PreviousVersion:
    """The published version of a dataset, as disclosure control of its replacement needs it.

    Only protected values are stored, so the frame holds what was published:
    hidden cells are missing, and the mask (from the stored suppression log)
    says which of them were hidden rather than never given. Disclosure control
    keeps every hidden cell hidden and treats a cell as known to an attacker
    only where its published value equals the new one.

    Parameters
    ----------
    stored
        The current (published) version of the dataset being replaced.

    Returns
    -------
    PreviousVersion
        Keyed by ``code`` and ``level``, with the ``gem_`` columns
        :func:`~geo_app.session.own_data.build_entries` protects.
    """
    values = stored.values
    wide = values.pivot(index=["level", "code"], columns="column", values="value")
    wide.columns = [_safe(str(c)) for c in wide.columns]
    frame = wide.reset_index()
    frame.columns.name = None
    log = stored.log
    hidden = set()
    if len(log):
        hidden = set(zip(*(log[c].astype(str) for c in ("level", "code", "column")), strict=True))
    keys = list(zip(frame["level"].astype(str), frame["code"].astype(str), strict=True))
    mask = {c: np.array([(*k, c) in hidden for k in keys], dtype=bool) for c in wide.columns}
    result = SuppressionResult(
        frame=frame, log=log, mask=pd.DataFrame(mask, index=frame.index, columns=list(wide.columns))
    )
    return PreviousVersion(frame=frame, result=result)


def _one(frames: Mapping[str, gpd.GeoDataFrame], stored: StoredDataset) -> dict[str, Any]:
    meta = stored.meta
    specs = _own_data._specs(list(meta.columns), meta.pairs)
    out = {}
    for level, values in stored.values.groupby("level", sort=False):
        if level not in frames or not len(frames[level]):
            continue
        figures = values.pivot(index="code", columns="column", values="value").reset_index()
        figures.columns.name = None
        join = join_municipal(frames[level], figures, specs)
        log = stored.log
        hidden = log.loc[log["level"] == level] if len(log) else log
        out[level] = _own_data._entry(
            frames[level],
            join.frame,
            join,
            hidden,
            key=f"{meta.name}-v{meta.version}-{meta.payload_sha256[:12]}-{level}",
            name=meta.name,
            level=meta.level,
            threshold=meta.threshold,
        )
    return out


def entries_from_stored(
    frames: Mapping[str, gpd.GeoDataFrame], stored: Sequence[StoredDataset]
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Entries per level of the stored datasets of one gemeente-year, merged.

    Returns
    -------
    tuple
        ``({level: entry}, skipped)``: ``skipped`` names datasets left out
        because a column of theirs is already taken by an earlier dataset (in
        name order) or because they do not fit the areas.
    """
    merged: dict[str, dict[str, Any]] = {}
    skipped = []
    for dataset in stored:
        try:
            entries = _one(frames, dataset)
        except ValueError:
            skipped.append(dataset.meta.name)
            continue
        clash = any(
            set(_gem(e)) & set(_gem(merged[lv])) for lv, e in entries.items() if lv in merged
        )
        if clash:
            skipped.append(dataset.meta.name)
            continue
        for level, entry in entries.items():
            if level not in merged:
                merged[level] = entry
                continue
            into = merged[level]
            frame = into["frame"].copy()
            for column in _gem(entry):
                frame[column] = entry["frame"][column].to_numpy()
            into.update(
                frame=frame,
                key=f"{into['key']}+{entry['key']}",
                extra=into["extra"] + entry["extra"],
                names=[*into["names"], *entry["names"]],
                log=pd.concat([into["log"], entry["log"]], ignore_index=True),
                suppressed={**into["suppressed"], **entry["suppressed"]},
                unmatched=sorted(set(into["unmatched"]) | set(entry["unmatched"])),
            )
    return merged, skipped


def _gem(entry: Mapping[str, Any]) -> list[str]:
    return [c for c in entry["frame"].columns if str(c).startswith(PREFIX)]
