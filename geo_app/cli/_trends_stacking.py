"""The stacking-percentile trend in ``stapelkaart trends`` (theme ``stapeling``).

Kept apart from :mod:`geo_app.cli.trends` so that command stays small: one call adds the
percentile rows and per-area trends of :func:`models.stacking_trend.stacking_trend` to the
theme rows and trends, and says in the file's metadata what they are.
"""

from __future__ import annotations

from typing import Any

__all__ = ["add_stacking", "sources_of"]


def add_stacking(
    rows: Any, trends: Any, *, first: int, last: int, level: str, rule: Any
) -> tuple[Any, Any, dict[str, Any], str]:
    """Rows and trends with the stacking percentile added, metadata and a summary line.

    Returns
    -------
    (rows, trends, metadata, summary)
        ``metadata`` has a Dutch description of the ``stapeling`` rows (or why there are
        none); ``summary`` is one English line for the terminal.
    """
    import pandas as pd

    from cbs_ingest.series_tables import RATE_INDICATORS
    from models.stacking_trend import STACKING_INDICATOR, STACKING_THEME, stacking_trend

    result = stacking_trend(
        rows, first=first, last=last, trends=trends, rates=RATE_INDICATORS, level=level, rule=rule
    )
    if result.trends.empty:
        text = (
            "geen: daarvoor zijn cijfers per inwoner van minstens twee thema's in elk jaar "
            f"nodig (hier: {', '.join(result.themes) or 'geen'})"
        )
        return rows, trends, {"stapeling": text}, " ".join(result.notes)
    rows = pd.concat([rows, result.rows], ignore_index=True)
    trends = pd.concat([trends, result.trends], ignore_index=True)
    themes = ", ".join(result.themes)
    text = (
        f"thema {STACKING_THEME}, indicator {STACKING_INDICATOR}: percentiel (0-100) van de "
        f"stapelscore van het gebied binnen zijn gemeente, per jaar (1e halfjaar, eind juni), "
        f"op de cijfers per inwoner van {themes}; slope in punten per jaar. Anders dan de "
        "stapeling op de kaart (KWB-indicatoren van één jaar). Geen oplopend-signaal: die "
        "regel is voor aantallen. Geen trend als een van deze thema's er geen heeft; elke "
        "periode is even vergelijkbaar (comparable, reason) als de trend van het gebied."
    )
    with_trend = int(result.trends["comparable"].sum())
    summary = (
        f"Stacking percentile within the gemeente ({themes}): {with_trend} areas with a "
        f"trend, {len(result.trends) - with_trend} without (reason given)."
    )
    return rows, trends, {"stapeling": text}, summary


def sources_of(theme: str, year: int, table: str) -> str:
    """One line of the sources: a CBS table, or the fictitious demo series."""
    if str(table).startswith("DEMO-"):
        return f"Fictief {theme} {year}: gegenereerd door Stapelkaart (voorbeeldgemeente)"
    return f"CBS {theme} {year}: tabel {table} (CC BY 4.0, Bron: CBS)"
