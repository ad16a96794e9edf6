"""Ingestion of CBS Kerncijfers Wijken en Buurten and Wijk- en buurtkaart geometry."""

from __future__ import annotations

from cbs_ingest.columns import CANONICAL_COLUMNS, FRAME_KEYS, KWB_TABLES, LEVELS, match_columns
from cbs_ingest.errors import (
    CacheError,
    InputError,
    SourceChangedError,
    SourceUnavailableError,
    StapelkaartError,
    StoreError,
)
from cbs_ingest.ingest import (
    CachedDataset,
    IngestResult,
    cached_datasets,
    load,
    remove_areas,
    stored_areas,
)
from cbs_ingest.join import JoinReport, LevelJoin
from cbs_ingest.store import AreaRecord

__all__ = [
    "CANONICAL_COLUMNS",
    "FRAME_KEYS",
    "KWB_TABLES",
    "LEVELS",
    "match_columns",
    "load",
    "cached_datasets",
    "stored_areas",
    "remove_areas",
    "AreaRecord",
    "IngestResult",
    "CachedDataset",
    "JoinReport",
    "LevelJoin",
    "CacheError",
    "InputError",
    "SourceChangedError",
    "SourceUnavailableError",
    "StapelkaartError",
    "StoreError",
]
