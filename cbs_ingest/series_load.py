"""Social-domain series from the area store first, fetching from CBS only what is missing.

:func:`load_series` is to :func:`cbs_ingest.series.fetch_series` what
:func:`cbs_ingest.load` is to a KWB download: per table of the range it serves the
gemeenten the store holds, fetches the others (or the whole table, for the whole
country, once), checks the request, and only then stores what was fetched. After one
fetch the same request, or any subset of it, works without network.

The fictitious demo gemeente (``GM9999``) is never fetched nor stored: its series is
generated (:mod:`cbs_ingest.demo_series`), after the same checks of theme, years and
level as a real request.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pandas as pd

from cbs_ingest import _http
from cbs_ingest.demo import DEMO_GEMEENTE_CODE
from cbs_ingest.demo_series import is_demo_request, load_demo_series
from cbs_ingest.errors import InputError
from cbs_ingest.series import (
    SERIES_DTYPES,
    Progress,
    Series,
    fetch_table,
    prepare,
    refuse_unknown,
)
from cbs_ingest.store import Store, open_store

__all__ = ["load_series"]


def load_series(
    theme: str,
    first: int,
    last: int,
    municipalities: Sequence[str] | None,
    *,
    level: str = "wijk",
    refresh: bool = False,
    store: Store | None = None,
    progress: Progress | None = None,
) -> Series:
    """One theme for the years ``first`` … ``last``: from the store, else from CBS.

    Parameters
    ----------
    theme, first, last, municipalities, level, progress
        As for :func:`cbs_ingest.series.fetch_series` (``None``: the whole country).
    refresh
        Fetch every table again, even when stored.
    store
        The store to use; default :func:`cbs_ingest.store.open_store`.

    Returns
    -------
    Series
        Its ``missing`` has CBS's reasons only for what was fetched now; a stored
        table counts its empty cells as ``stored as missing``. Its ``notes`` (Dutch)
        say which tables came from the store and when they were retrieved.

    Raises
    ------
    InputError, SourceChangedError, SourceUnavailableError
        As :func:`cbs_ingest.series.fetch_series`; nothing is stored then.
    StoreError
        The store is damaged or not writable.
    """
    specs, codes = prepare(theme, first, last, municipalities, level=level)
    if is_demo_request(codes):
        if codes != [DEMO_GEMEENTE_CODE]:
            raise InputError(
                f"{DEMO_GEMEENTE_CODE} is the fictitious demo gemeente; load it on its own.",
                nl=f"{DEMO_GEMEENTE_CODE} is de fictieve voorbeeldgemeente; laad die apart.",
            )
        return load_demo_series(theme, first, last, level=level)
    store = store or open_store()
    complete = store.series_complete()
    notes: list[str] = []
    missing: dict[str, dict[str, int]] = {}
    fetched: list[tuple] = []  # (spec, frame, gemeenten) to store after the checks
    frames: list[pd.DataFrame] = []
    cbs_url = _http.cbs_base_url()
    for i, spec in enumerate(specs):
        held = {r.code for r in store.series_records(spec.table_id, level, codes)}
        lacking: list[str] | None
        if codes is None:
            lacking = None if refresh or (spec.table_id, level) not in complete else []
        else:
            lacking = list(codes) if refresh else [c for c in codes if c not in held]
        if lacking == []:
            stored = store.get_series(spec.table_id, level, codes)
            frames.append(stored.rows)
            empty = int(stored.rows["value"].isna().sum())
            if empty:
                missing[spec.table_id] = {"stored as missing": empty}
            oldest = min((r.retrieved_at for r in stored.records.values()), default=None)
            when = f", opgehaald op {oldest:%Y-%m-%d %H:%M} UTC" if oldest else ""
            notes.append(f"{spec.table_id} ({spec.year}) uit de gebiedsopslag{when}.")
            notes.extend(
                f"{spec.table_id} ({spec.year}) heeft geen rijen voor {r.code}."
                for r in stored.records.values()
                if r.rows == 0
            )
            continue
        if progress is not None:
            progress(i / len(specs), f"CBS-tabel {spec.table_id} ({spec.year}) ophalen")
        frame, reasons = fetch_table(spec, lacking, level=level, notes=notes)
        if reasons:
            missing[spec.table_id] = reasons
        fetched.append((spec, frame, lacking))
        if codes is not None and lacking is not None and len(lacking) < len(codes):
            served = store.get_series(spec.table_id, level, sorted(set(codes) - set(lacking)))
            frame = pd.concat([served.rows, frame], ignore_index=True)
        frames.append(frame)
    # the dtypes of SERIES_COLUMNS even when a table has no rows for the gemeenten
    rows = pd.concat(frames, ignore_index=True).astype(SERIES_DTYPES)
    refuse_unknown(theme, first, last, codes, rows)  # before anything is stored
    retrieved = datetime.now(UTC).isoformat()
    for spec, frame, lacking in fetched:
        store.put_series(
            frame,
            table_id=spec.table_id,
            theme=theme,
            level=level,
            gemeenten=lacking or [],
            provenance={"cbs_url": cbs_url, "retrieved_at": retrieved},
            whole_country=lacking is None,
        )
    if progress is not None:
        progress(1.0, f"{theme}: {rows['code'].nunique()} gebieden")
    return Series(theme, rows, {s.year: s.table_id for s in specs}, missing, notes)
