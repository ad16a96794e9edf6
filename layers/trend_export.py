"""The multi-year series as an export table, with comparability per period and the rule.

Pure: takes the yearly series (with ``comparable``, ``harmonised``, ``reason`` per
period, :func:`models.trend_lines.period_comparability`) and the trends per area
(:func:`models.trends.compute_trends`), returns one long table and its metadata. The
app adds it as an extra sheet (XLSX), layer (GeoPackage) or file (CSV).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

__all__ = [
    "SERIES_COLUMN_NOTES",
    "SERIES_EXPORT_COLUMNS",
    "SERIES_SHEET",
    "series_export",
    "series_metadata",
]

#: Name of the extra sheet / GeoPackage table.
SERIES_SHEET = "reeksen"

#: Columns of :func:`series_export`, in this order.
SERIES_EXPORT_COLUMNS: tuple[str, ...] = (
    "code",
    "name",
    "level",
    "theme",
    "indicator",
    "period",
    "year",
    "value",
    "comparable",
    "harmonised",
    "harmonise_method",
    "reason",
    "trend_comparable",
    "slope",
    "change",
    "trend_flag",
    "trend_reason",
)

#: Dutch description of each column of :func:`series_export`, for the file's metadata.
SERIES_COLUMN_NOTES: dict[str, str] = {
    "period": "Periode van de waarde: 2016H1 = 1e halfjaar, 2019Q2 = eind juni (één per jaar)",
    "comparable": "Deze periode is vergelijkbaar met het laatste jaar (grenzen en code gelijk, "
    "of geharmoniseerd)",
    "harmonised": "Geharmoniseerd op de laatste grenzen",
    "harmonise_method": "Hoe: samenvoeging (gemeenten opgeteld), oppervlakte of bevolking "
    "(herverdeeld met tobler), koppeling (nieuwe code, zelfde grenzen); leeg: ongewijzigd",
    "reason": "Waarom deze periode niet vergelijkbaar is",
    "trend_comparable": "Trend berekend voor dit gebied en thema",
    "slope": "Theil-Sen-helling per jaar",
    "change": "Verandering van het eerste tot het laatste jaar met een waarde",
    "trend_flag": "Oplopend volgens de trendregel (leeg als het signaal uit staat)",
    "trend_reason": "Waarom er geen trend is",
}


def series_export(
    series: pd.DataFrame, trends: pd.DataFrame, *, signal: bool, keep: Sequence[str] = ()
) -> pd.DataFrame:
    """One row per area, indicator and year, with the area's trend beside it.

    Parameters
    ----------
    series
        Yearly rows with ``code``, ``name``, ``level``, ``theme``, ``indicator``,
        ``period``, ``year``, ``value``, ``comparable``, ``harmonised``, ``reason``.
    trends
        Trend rows (``models.trends.TREND_COLUMNS``).
    signal
        Fill ``trend_flag``; otherwise it is left empty (the signal is off by default).
    keep
        Further columns of ``series`` to keep after these (empty where absent).

    Returns
    -------
    pandas.DataFrame
        :data:`SERIES_EXPORT_COLUMNS` and ``keep``, sorted by area, theme, indicator and
        year (stable: rows of one year keep their order in ``series``).
    """
    keys = ["code", "theme", "indicator"]
    per_area = trends[[*keys, "comparable", "slope", "change", "trend_flag", "reason"]].rename(
        columns={"comparable": "trend_comparable", "reason": "trend_reason"}
    )
    table = series.merge(per_area, on=keys, how="left", validate="many_to_one")
    table["trend_comparable"] = table["trend_comparable"].fillna(False).astype(bool)
    table["comparable"] = table["comparable"].astype(bool)
    table["harmonised"] = table["harmonised"].astype(bool)
    for column in ("harmonise_method", *keep):
        if column not in table.columns:
            table[column] = None
    if not signal:
        table["trend_flag"] = pd.array([pd.NA] * len(table), dtype="boolean")
    table = table.sort_values(["code", "theme", "indicator", "year"], kind="stable")
    columns = [*SERIES_EXPORT_COLUMNS, *(c for c in keep if c not in SERIES_EXPORT_COLUMNS)]
    return table[columns].reset_index(drop=True)


def series_metadata(
    *,
    sources: Mapping[str, Mapping[int, str]],
    rule_nl: str,
    signal: bool,
    first: int,
    last: int,
    notes: Sequence[str] = (),
) -> dict[str, Any]:
    """Metadata of the series export: CBS tables, the rule in Dutch, the signal, columns.

    Parameters
    ----------
    sources
        ``{theme: {year: CBS table id}}``.
    rule_nl
        ``TrendRule.describe_nl()``.
    signal
        Whether ``trend_flag`` is filled.
    first, last
        The range of years.
    notes
        Dutch notes (themes left out, the national line).
    """
    tables = [
        f"CBS {theme} {year}: tabel {table} (CC BY 4.0, Bron: CBS)"
        for theme, by_year in sources.items()
        for year, table in sorted(by_year.items())
    ]
    return {
        "reeksen_bronnen": tables,
        "reeksen_periode": f"{first}–{last}",
        "trendregel": rule_nl,
        "signaal oplopend": "aan"
        if signal
        else "uit: in de backtest niet beter dan de basislijnen (docs/analysis.md)",
        "reeksen_opmerkingen": list(notes),
        "reeksen_kolommen": dict(SERIES_COLUMN_NOTES),
    }
