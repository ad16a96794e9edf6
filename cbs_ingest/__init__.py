"""Ingestion of CBS Kerncijfers Wijken en Buurten and Wijk- en buurtkaart geometry."""

from __future__ import annotations

from cbs_ingest.columns import CANONICAL_COLUMNS, FRAME_KEYS, KWB_TABLES, LEVELS, match_columns
from cbs_ingest.errors import CacheError, InputError, SourceUnavailableError, StapelkaartError

__all__ = [
    "CANONICAL_COLUMNS",
    "FRAME_KEYS",
    "KWB_TABLES",
    "LEVELS",
    "match_columns",
    "CacheError",
    "InputError",
    "SourceUnavailableError",
    "StapelkaartError",
]
