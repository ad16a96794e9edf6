"""The CBS area names of one gemeente, year and level, from the local cache (no network).

Used to match uploads that name areas instead of coding them
(:mod:`layers.area_names`) where only cached data may be read, such as
``stapelkaart validate``.
"""

from __future__ import annotations

import pandas as pd

from cbs_ingest import cache
from cbs_ingest.demo import DEMO_GEMEENTE_CODE
from cbs_ingest.errors import CacheError

__all__ = ["cached_area_names"]

_COLUMNS = ["code", "name", "level", "gemeentecode"]


def cached_area_names(year: int, gemeentecode: str, *, level: str) -> dict[str, str] | None:
    """``{code: name}`` of the gemeente's areas at ``level`` in ``year``, or None when not cached.

    Parameters
    ----------
    year
        KWB reference year.
    gemeentecode
        ``GMxxxx``; the demo gemeente ``GM9999`` is generated, never cached.
    level
        ``"buurt"`` or ``"wijk"``.

    Returns
    -------
    dict or None
        None when no cached dataset of that year holds the gemeente. The newest
        matching entry wins.

    Raises
    ------
    CacheError
        When the matching cache file cannot be read.
    """
    code = str(gemeentecode).strip().upper()
    year = int(year)
    if code == DEMO_GEMEENTE_CODE:
        from cbs_ingest.demo import make_demo

        frame = make_demo(year=year)[level]
        return dict(zip(frame["code"], frame["name"], strict=True))
    for entry in cache.list_entries():
        request = entry.manifest.get("request", {})
        provenance = entry.manifest.get("provenance", {})
        if int(provenance.get("year", request.get("year", -1))) != year:
            continue
        wanted = request.get("municipalities")
        if wanted and code not in wanted:
            continue
        try:
            frame = pd.read_parquet(
                entry.parquet,
                columns=_COLUMNS,
                filters=[("level", "==", level), ("gemeentecode", "==", code)],
            )
        except Exception as exc:  # pyarrow raises several types on damaged files
            raise CacheError(
                f"Cache file {entry.parquet.name} could not be read ({exc}).",
                nl=f"Cachebestand {entry.parquet.name} kon niet gelezen worden.",
            ) from exc
        if len(frame):
            names = frame["name"].fillna("").astype(str)
            return dict(zip(frame["code"].astype(str), names, strict=True))
    return None
