"""Registry of the CBS social-domain tables per wijk (and buurt) behind the trends, 2016–2024.

CBS publishes the Monitor Sociaal Domein figures as one OData table per theme and year.
Each table differs a little from the next:

- the dimension that selects the total differs (``Financieringsvorm``, ``TypeJeugdzorg``,
  ``VormenVanJeugdzorg``, ``Vormen``); the registry names it and the title of its total;
- the geo dimension is ``Wijken`` (wijk tables) or ``WijkenEnBuurten`` (benefits);
- columns are renumbered (``WmoClienten_5``; ``TotaalJongerenMetJeugdzorgInNatura_1`` in
  2017 but ``…_5`` without ``InNatura`` in 2016) and in the youth-care tables the region
  columns come last; columns are therefore matched on their name *prefix*, as KWB's are
  (:mod:`cbs_ingest.columns`);
- a count and its rate share one prefix (``ClientenMetVoorzieningen_5`` is the count,
  ``ClientenMetVoorzieningen_7`` the rate per 1,000): ``occurrence`` picks the n-th key
  with that prefix in the table's column order;
- periods are half-years plus the whole year (``2016HJ01``, ``2016HJ02``, ``2016JJ00``),
  or quarters for the benefits (``2019KW01`` … as "2019 maart" … "2019 december"). A
  half-year or a quarter is a *period*, never a year.

This module is data only; :mod:`cbs_ingest.series` fetches and normalises.
"""

from __future__ import annotations

from dataclasses import dataclass

from cbs_ingest.errors import InputError

__all__ = [
    "SeriesColumn",
    "SeriesTable",
    "THEMES",
    "SERIES_TABLES",
    "GEMEENTE_MERGERS",
    "GEMEENTE_SPLITS",
    "SERIES_FIRST_YEAR_WITHOUT",
    "RATE_SCALES",
    "series_mergers",
    "COUNT_INDICATORS",
    "RATE_INDICATORS",
    "SERIES_BREAKS",
    "series_table",
    "tables_for",
]


@dataclass(frozen=True)
class SeriesColumn:
    """One indicator of a theme and the CBS key prefixes it can come from.

    Attributes
    ----------
    name
        Stable snake_case name (``wmo_clients``).
    prefixes
        Key prefixes (the key without ``_<number>``), tried in order.
    occurrence
        Which key with that prefix, in the table's column order (0 = first).
    unit
        ``count``, ``per_1000`` or ``percent``.
    label_nl
        Dutch label as a person sees it.
    """

    name: str
    prefixes: tuple[str, ...]
    occurrence: int
    unit: str
    label_nl: str


@dataclass(frozen=True)
class SeriesTable:
    """One CBS table: theme, year, how its periods and slices look.

    Attributes
    ----------
    table_id
        CBS table id (``85995NED``).
    theme
        ``wmo``, ``jeugdzorg``, ``voorzieningen`` or ``bijstand``.
    year
        The year the table covers.
    period_kind
        ``halfyear`` (H1, H2 and the whole year) or ``quarter``.
    geo_key
        The geo dimension: ``Wijken`` or ``WijkenEnBuurten``.
    totals
        ``{dimension: title of its total}``: the slice a trend uses.
    levels
        Area levels the table has below the gemeente.
    breaks_series
        True when the definition changed with this table: earlier periods are not
        comparable with this one (youth care became "in natura" in 2017).
    """

    table_id: str
    theme: str
    year: int
    period_kind: str
    geo_key: str
    totals: tuple[tuple[str, str], ...]
    levels: tuple[str, ...] = ("wijk",)
    breaks_series: bool = False


#: Indicators per theme; the first is the count that the noise rule of the trends uses.
THEMES: dict[str, tuple[SeriesColumn, ...]] = {
    "wmo": (
        SeriesColumn("wmo_clients", ("WmoClienten",), 0, "count", "Wmo-cliënten"),
        SeriesColumn(
            "wmo_clients_per_1000",
            ("WmoClientenPer1000Inwoners",),
            0,
            "per_1000",
            "Wmo-cliënten per 1.000 inwoners",
        ),
    ),
    "jeugdzorg": (
        SeriesColumn(
            "youth_care_clients",
            ("TotaalJongerenMetJeugdzorgInNatura", "TotaalJongerenMetJeugdzorg"),
            0,
            "count",
            "Jongeren met jeugdzorg in natura",
        ),
    ),
    "voorzieningen": (
        SeriesColumn(
            "sd_clients",
            ("ClientenMetVoorzieningen",),
            0,
            "count",
            "Cliënten met een voorziening in het sociaal domein",
        ),
        SeriesColumn(
            "sd_clients_per_1000",
            ("ClientenMetVoorzieningen",),
            1,
            "per_1000",
            "Cliënten met een voorziening per 1.000 inwoners",
        ),
    ),
    "bijstand": (
        SeriesColumn("bijstand_recipients", ("Bijstandsuitkering",), 0, "count", "Bijstand"),
        SeriesColumn(
            "bijstand_pct",
            ("Bijstandsuitkering",),
            1,
            "percent",
            "Bijstand, % van de inwoners van 15 jaar tot de AOW-leeftijd",
        ),
    ),
}

_WMO = (("Financieringsvorm", "Totaal"),)
_GMSD = (("AantalVoorzieningen", "Totaal"), ("SoortVoorzieningSociaalDomein", "Totaal"))
_JZ = (("VormenVanJeugdzorg", "Totaal alle jeugdzorg in natura"),)


def _half(tid: str, theme: str, year: int, totals, **kw) -> SeriesTable:
    return SeriesTable(tid, theme, year, "halfyear", "Wijken", totals, **kw)


def _quarter(tid: str, year: int) -> SeriesTable:
    return SeriesTable(tid, "bijstand", year, "quarter", "WijkenEnBuurten", (), ("wijk", "buurt"))


#: Every known table, by id.
SERIES_TABLES: dict[str, SeriesTable] = {
    t.table_id: t
    for t in (
        _half("83620NED", "wmo", 2016, _WMO),
        _half("83818NED", "wmo", 2017, _WMO),
        _half("84421NED", "wmo", 2018, _WMO),
        _half("84664NED", "wmo", 2019, _WMO),
        _half("84907NED", "wmo", 2020, _WMO),
        _half("85046NED", "wmo", 2021, _WMO),
        _half("85376NED", "wmo", 2022, _WMO),
        _half("85638NED", "wmo", 2023, _WMO),
        _half("85995NED", "wmo", 2024, _WMO),
        _half("83563NED", "jeugdzorg", 2016, (("TypeJeugdzorg", "Totaal jeugdzorg"),)),
        _half("83782NED", "jeugdzorg", 2017, _JZ, breaks_series=True),
        _half("84316NED", "jeugdzorg", 2018, _JZ),
        _half("84615NED", "jeugdzorg", 2019, _JZ),
        _half("84856NED", "jeugdzorg", 2020, _JZ),
        _half("85075NED", "jeugdzorg", 2021, _JZ),
        _half("85335NED", "jeugdzorg", 2022, _JZ),
        _half("85685NED", "jeugdzorg", 2023, _JZ),
        _half("85990NED", "jeugdzorg", 2024, (("Vormen", "Totaal alle jeugdzorg in natura"),)),
        _half("83619NED", "voorzieningen", 2016, _GMSD),
        _half("83817NED", "voorzieningen", 2017, _GMSD),
        _half("84420NED", "voorzieningen", 2018, _GMSD),
        _half("84662NED", "voorzieningen", 2019, _GMSD),
        _half("84906NED", "voorzieningen", 2020, _GMSD),
        _half("85045NED", "voorzieningen", 2021, _GMSD),
        _half("85375NED", "voorzieningen", 2022, _GMSD),
        _half("85637NED", "voorzieningen", 2023, _GMSD),
        _half("85994NED", "voorzieningen", 2024, _GMSD),
        _quarter("84692NED", 2019),
        _quarter("84897NED", 2020),
        _quarter("85042NED", 2021),
        _quarter("85317NED", 2022),
        _quarter("85586NED", 2023),
        _quarter("86003NED", 2024),
    )
}


#: Gemeenten merged away between 2019 and 2024: ``{code: (first boundary year without it,
#: successor)}``. Derived from CBS/PDOK gemeente boundaries of 2019, 2022, 2023 and 2024
#: (successor = the gemeente that took the largest part of its area; Haaren was split over
#: four gemeenten). The year is the first of those boundary years without the gemeente,
#: so a merger of 2021 shows as 2022.
GEMEENTE_MERGERS: dict[str, tuple[int, str]] = {
    "GM0003": (2022, "GM1979"),  # Appingedam -> Eemsdelta
    "GM0010": (2022, "GM1979"),  # Delfzijl -> Eemsdelta
    "GM0024": (2022, "GM1979"),  # Loppersum -> Eemsdelta
    "GM0370": (2022, "GM0439"),  # Beemster -> Purmerend
    "GM0398": (2022, "GM1980"),  # Heerhugowaard -> Dijk en Waard
    "GM0416": (2022, "GM1980"),  # Langedijk -> Dijk en Waard
    "GM0756": (2022, "GM1982"),  # Boxmeer -> Land van Cuijk
    "GM0786": (2022, "GM1982"),  # Grave -> Land van Cuijk
    "GM0788": (2022, "GM0865"),  # Haaren -> Vught (largest part)
    "GM0815": (2022, "GM1982"),  # Mill en Sint Hubert -> Land van Cuijk
    "GM0856": (2022, "GM1991"),  # Uden -> Maashorst
    "GM1684": (2022, "GM1982"),  # Cuijk -> Land van Cuijk
    "GM1685": (2022, "GM1991"),  # Landerd -> Maashorst
    "GM1702": (2022, "GM1982"),  # Sint Anthonis -> Land van Cuijk
    "GM0457": (2023, "GM0363"),  # Weesp -> Amsterdam
    "GM0501": (2023, "GM1992"),  # Brielle -> Voorne aan Zee
    "GM0530": (2023, "GM1992"),  # Hellevoetsluis -> Voorne aan Zee
    "GM0614": (2023, "GM1992"),  # Westvoorne -> Voorne aan Zee
}


#: Gemeenten split over several others: ``{code: (first boundary year without it,
#: successors)}``. Haaren (1 January 2021) went to Vught, Oisterwijk, Tilburg and Boxtel
#: (45 %, 28 %, 18 % and 9 % of its area in the 2019 and 2024 boundaries).
#: :data:`GEMEENTE_MERGERS` names only the largest part; harmonisation interpolates these
#: areally onto every successor instead of summing them onto one.
GEMEENTE_SPLITS: dict[str, tuple[int, tuple[str, ...]]] = {
    "GM0788": (2022, ("GM0865", "GM0824", "GM0855", "GM0757")),
}

#: First year of the CBS *series* without each merged gemeente, where it differs from the
#: boundary year in :data:`GEMEENTE_MERGERS`: the mergers of 1 January 2021 are absent
#: from the 2021 tables already (Eemsdelta GM1979 is in them, its parts are not).
SERIES_FIRST_YEAR_WITHOUT: dict[str, int] = {
    "GM0003": 2021,
    "GM0010": 2021,
    "GM0024": 2021,
    "GM0788": 2021,
}


def series_mergers() -> tuple[dict[str, tuple[int, str]], dict[str, tuple[int, tuple[str, ...]]]]:
    """Mergers and splits keyed by the first *series* year without the old gemeente.

    Returns
    -------
    tuple
        ``(mergers, splits)`` in the shapes of :data:`GEMEENTE_MERGERS` and
        :data:`GEMEENTE_SPLITS`, for :func:`models.harmonise_series.harmonise_series`.
    """
    mergers = {
        code: (SERIES_FIRST_YEAR_WITHOUT.get(code, year), successor)
        for code, (year, successor) in GEMEENTE_MERGERS.items()
        if code not in GEMEENTE_SPLITS
    }
    splits = {
        code: (SERIES_FIRST_YEAR_WITHOUT.get(code, year), successors)
        for code, (year, successors) in GEMEENTE_SPLITS.items()
    }
    return mergers, splits


#: ``{rate indicator: 1000 or 100}``: what a rate is per (per 1,000 inhabitants, percent).
RATE_SCALES: dict[str, float] = {
    c.name: {"per_1000": 1000.0, "percent": 100.0}[c.unit]
    for cols in THEMES.values()
    for c in cols
    if c.unit != "count"
}

#: ``{theme: indicator}`` of the count each theme's trend rule tests.
COUNT_INDICATORS: dict[str, str] = {t: cols[0].name for t, cols in THEMES.items()}

#: ``{theme: indicator}`` of the rate CBS publishes beside the count, where it does.
RATE_INDICATORS: dict[str, str] = {
    t: c.name for t, cols in THEMES.items() for c in cols[1:] if c.unit != "count"
}

#: ``{theme: year}``: the definition changed with that year's table.
SERIES_BREAKS: dict[str, int] = {t.theme: t.year for t in SERIES_TABLES.values() if t.breaks_series}


def series_table(table_id: str) -> SeriesTable:
    """Return the registry entry of a table id.

    Raises
    ------
    InputError
        The table is not a known social-domain table.
    """
    key = str(table_id).strip().upper()
    if key not in SERIES_TABLES:
        raise InputError(
            f"Unknown social-domain table {table_id!r}; known: {', '.join(sorted(SERIES_TABLES))}.",
            nl=f"Onbekende CBS-tabel {table_id!r} voor het sociaal domein.",
        )
    return SERIES_TABLES[key]


def tables_for(theme: str, first: int, last: int) -> list[SeriesTable]:
    """The tables of one theme for the years ``first`` … ``last``, oldest first.

    Raises
    ------
    InputError
        Unknown theme, a range the wrong way round, or a year without a table.
    """
    if theme not in THEMES:
        raise InputError(
            f"Unknown theme {theme!r}; choose one of {', '.join(THEMES)}.",
            nl=f"Onbekend thema {theme!r}; kies uit {', '.join(THEMES)}.",
        )
    if int(first) > int(last):
        raise InputError(
            f"Period range {first}–{last} is the wrong way round: 'from' must not be after 'to'.",
            nl=f"Periode {first}–{last} staat verkeerd om: 'van' mag niet na 'tot' liggen.",
        )
    by_year = {t.year: t for t in SERIES_TABLES.values() if t.theme == theme}
    lacking = [y for y in range(int(first), int(last) + 1) if y not in by_year]
    if lacking:
        years = f"{min(by_year)}–{max(by_year)}"
        raise InputError(
            f"No {theme} table for {', '.join(map(str, lacking))}; CBS has {years}.",
            nl=f"Geen CBS-tabel {theme} voor {', '.join(map(str, lacking))}; beschikbaar: {years}.",
        )
    return [by_year[y] for y in range(int(first), int(last) + 1)]
