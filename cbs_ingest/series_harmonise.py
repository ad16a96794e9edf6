"""Harmonising loaded series onto the last year's boundaries: predecessors, boundaries, tobler.

The IO around the pure :func:`models.harmonise_series.harmonise_series`: the series of
gemeenten merged into the requested ones, and the boundaries of the years needed (area
store first, PDOK for what is missing). Used by ``stapelkaart trends`` and by the app's
trend view, so both show the same harmonised values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from cbs_ingest.errors import InputError

__all__ = ["predecessors", "boundary_years", "harmonise"]

#: Where a year's boundaries came from (``Boundaries.sources``), in the Dutch notes.
_SOURCES_NL = {
    "area store": "gebiedsopslag",
    "kept boundaries": "bewaarde grenzen",
    "generated (fictitious demo)": "gegenereerd (fictieve voorbeeldgemeente)",
}


def predecessors(codes: Sequence[str] | None, first: int) -> dict[str, int]:
    """``{old gemeente: last series year}`` merged or split into ``codes`` after ``first``."""
    from cbs_ingest.series_tables import series_mergers

    if not codes:
        return {}  # the whole country holds them already
    mergers, splits = series_mergers()
    wanted = set(codes)
    out = {o: y - 1 for o, (y, s) in mergers.items() if s in wanted and y - 1 >= first}
    out.update({o: y - 1 for o, (y, ss) in splits.items() if wanted & set(ss) and y - 1 >= first})
    return out


def boundary_years(rows: Any, *, first: int, last: int, level: str) -> set[int]:
    """The years whose boundaries harmonising ``rows`` onto ``last`` needs (none: no change)."""
    from cbs_ingest.series_tables import series_mergers

    part = rows[rows["level"] == level]
    flagged = part.loc[
        part["boundary_change"].isin([2, 3]) & (part["year"] > first) & (part["year"] <= last),
        "year",
    ]
    codes_last = set(part.loc[part["year"] == last, "code"])
    years: set[int] = set(range(first, int(flagged.max()))) if len(flagged) else set()
    for year, group in part[part["year"] < last].groupby("year"):
        if codes_last - set(group["code"]) and set(group["code"]) - codes_last:
            years.add(int(year))  # areas appeared and disappeared: a redrawn gemeente
    _, splits = series_mergers()
    gemeenten = set(rows.loc[rows["level"] == "gemeente", "code"])
    for code, (year, _) in splits.items():
        if code in gemeenten and first <= year - 1 < last:
            years.add(year - 1)
    return years | {last} if years else set()


def harmonise(
    rows: Any,
    *,
    codes: Sequence[str] | None,
    first: int,
    last: int,
    level: str,
    load: Callable[[int, int, list[str]], Any],
    refresh: bool,
    progress: Callable[[float, str], None] | None,
    population: Any = None,
) -> tuple[Any, list[str]]:
    """Rows harmonised onto the boundaries of ``last``, and Dutch notes on the boundaries.

    ``load(first, last, codes)`` returns the long rows of the same themes for other
    gemeenten (the predecessors of the requested ones). ``population``: polygons with a
    ``population`` column, to weight by inhabitants instead of area.
    """
    import pandas as pd

    from cbs_ingest.boundaries_load import load_boundaries
    from cbs_ingest.series_tables import (
        COUNT_INDICATORS,
        RATE_INDICATORS,
        RATE_SCALES,
        series_mergers,
    )
    from models.harmonise_series import harmonise_series

    notes: list[str] = []
    extra = []
    for old, until in sorted(predecessors(codes, first).items()):
        try:
            extra.append(load(first, min(until, last), [old]))
        except InputError as exc:
            why = exc.nl.rstrip(".")
            notes.append(f"Geen reeks van {old} (opgeheven gemeente) voor {first}–{until}: {why}.")
    if extra:
        rows = pd.concat([rows, *extra], ignore_index=True)
    years = boundary_years(rows, first=first, last=last, level=level)
    geometries: dict[int, dict[str, Any]] = {}
    if years:
        gemeenten = None if codes is None else sorted(set(codes) | set(predecessors(codes, first)))
        boundaries = load_boundaries(
            years,
            gemeenten,
            levels=("gemeente", level),
            refresh=refresh,
            progress=progress,
        )
        geometries = boundaries.geometries
        notes.extend(boundaries.notes)
        notes.extend(
            f"Grenzen van {y}: {_SOURCES_NL.get(s, s)}."
            for y, s in sorted(boundaries.sources.items())
        )
    mergers, splits = series_mergers()
    result = harmonise_series(
        rows,
        target_year=last,
        counts=COUNT_INDICATORS,
        rates=RATE_INDICATORS,
        scales=RATE_SCALES,
        geometries=geometries,
        mergers=mergers,
        splits=splits,
        population=population,
    )
    return result.rows, notes
