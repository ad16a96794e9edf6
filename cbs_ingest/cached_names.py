"""The CBS area names of one gemeente, year and level, from the area store (no network).

Used to match uploads that name areas instead of coding them
(:mod:`layers.area_names`) where only cached data may be read, such as
``stapelkaart validate``.
"""

from __future__ import annotations

from cbs_ingest.demo import DEMO_GEMEENTE_CODE
from cbs_ingest.store import open_store

__all__ = ["cached_area_names"]


def cached_area_names(year: int, gemeentecode: str, *, level: str) -> dict[str, str] | None:
    """``{code: name}`` of the gemeente's areas at ``level`` in ``year``, or None when not stored.

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
        None when the area store does not hold the gemeente for that year (or
        holds no area of it at ``level``).

    Raises
    ------
    CacheError
        When the area store is damaged (a :class:`~cbs_ingest.errors.StoreError`).
    """
    code = str(gemeentecode).strip().upper()
    year = int(year)
    if code == DEMO_GEMEENTE_CODE:
        from cbs_ingest.demo import make_demo

        frame = make_demo(year=year)[level]
        return dict(zip(frame["code"], frame["name"], strict=True))
    store = open_store()
    if not store.records(year, [code]):
        return None
    frame = store.get_areas(year, [code]).frames[level]
    if not len(frame):
        return None
    names = frame["name"].fillna("").astype(str)
    return dict(zip(frame["code"].astype(str), names, strict=True))
