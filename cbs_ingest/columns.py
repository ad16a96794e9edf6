"""Canonical names for the CBS Kerncijfers Wijken en Buurten (KWB) columns.

CBS publishes KWB as one OData table per year, and renumbers the numeric suffix
of a column between tables and even between versions of the same table
(``WmoClienten_93`` in one version of 85984NED, ``WmoClienten_100`` in another).
Columns are therefore matched on their name *prefix*: the key without the
trailing ``_<number>``. This module is the one place where CBS keys become the
stable snake_case names that the rest of Stapelkaart uses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, get_args

from cbs_ingest.errors import InputError

__all__ = [
    "KWB_TABLES",
    "CbsColumn",
    "CANONICAL_COLUMNS",
    "COLUMNS_BY_NAME",
    "FRAME_KEYS",
    "LEVELS",
    "table_id",
    "match_columns",
]

#: KWB table id per reference year (Kerncijfers wijken en buurten).
KWB_TABLES: dict[int, str] = {
    2019: "84583NED",
    2020: "84799NED",
    2021: "85039NED",
    2022: "85318NED",
    2023: "85618NED",
    2024: "85984NED",
}

#: An area level.
Level = Literal["buurt", "wijk", "gemeente"]
#: The three area levels, smallest first.
LEVELS: tuple[str, ...] = get_args(Level)

#: Identifying columns of every area frame, in this order, before the indicators.
FRAME_KEYS: tuple[str, ...] = (
    "code",
    "name",
    "level",
    "gemeentecode",
    "gemeentenaam",
    "wijkcode",
    "year",
)


@dataclass(frozen=True)
class CbsColumn:
    """One canonical column and the CBS key prefixes it can come from.

    Attributes
    ----------
    name
        Stable snake_case name used throughout Stapelkaart.
    prefixes
        CBS key prefixes (the key without ``_<number>``), tried in order.
    unit
        ``count``, ``percent``, ``per_1000``, ``x1000_euro``, ``ha`` or ``per_km2``.
    label_nl
        Dutch label as a person sees it.
    """

    name: str
    prefixes: tuple[str, ...]
    unit: str
    label_nl: str


CANONICAL_COLUMNS: tuple[CbsColumn, ...] = (
    CbsColumn("population", ("AantalInwoners",), "count", "Aantal inwoners"),
    CbsColumn("households", ("HuishoudensTotaal",), "count", "Huishoudens"),
    CbsColumn("dwellings", ("Woningvoorraad",), "count", "Woningvoorraad"),
    CbsColumn("age_0_15", ("k_0Tot15Jaar",), "count", "Inwoners 0 tot 15 jaar"),
    CbsColumn("age_15_25", ("k_15Tot25Jaar",), "count", "Inwoners 15 tot 25 jaar"),
    CbsColumn("age_25_45", ("k_25Tot45Jaar",), "count", "Inwoners 25 tot 45 jaar"),
    CbsColumn("age_45_65", ("k_45Tot65Jaar",), "count", "Inwoners 45 tot 65 jaar"),
    CbsColumn("age_65_plus", ("k_65JaarOfOuder",), "count", "Inwoners 65 jaar of ouder"),
    CbsColumn(
        "pct_corporation_owned",
        ("InBezitWoningcorporatie",),
        "percent",
        "Woningen in bezit van een woningcorporatie",
    ),
    CbsColumn("pct_rental", ("HuurwoningenTotaal",), "percent", "Huurwoningen"),
    CbsColumn(
        "persons_bijstand",
        ("PersonenPerSoortUitkeringBijstand",),
        "count",
        "Personen met bijstand",
    ),
    CbsColumn("persons_ao", ("PersonenPerSoortUitkeringAO",), "count", "Personen met AO-uitkering"),
    CbsColumn("persons_ww", ("PersonenPerSoortUitkeringWW",), "count", "Personen met WW-uitkering"),
    CbsColumn("persons_aow", ("PersonenPerSoortUitkeringAOW",), "count", "Personen met AOW"),
    CbsColumn(
        "youth_care_count",
        ("JongerenMetJeugdzorgInNatura",),
        "count",
        "Jongeren met jeugdzorg in natura",
    ),
    CbsColumn(
        "youth_care_pct",
        ("PercentageJongerenMetJeugdzorg",),
        "percent",
        "Percentage jongeren met jeugdzorg",
    ),
    CbsColumn("wmo_clients", ("WmoClienten",), "count", "Wmo-cliënten"),
    CbsColumn(
        "wmo_clients_per_1000",
        ("WmoClientenRelatief",),
        "per_1000",
        "Wmo-cliënten per 1.000 inwoners",
    ),
    CbsColumn(
        "avg_income_per_inhabitant",
        ("GemiddeldInkomenPerInwoner",),
        "x1000_euro",
        "Gemiddeld inkomen per inwoner",
    ),
    CbsColumn(
        "pct_households_lowest_income_40",
        ("k_40HuishoudensMetLaagsteInkomen",),
        "percent",
        "Huishoudens met de 40% laagste inkomens",
    ),
    CbsColumn(
        "pct_households_low_income",
        ("HuishoudensMetEenLaagInkomen",),
        "percent",
        "Huishoudens met een laag inkomen",
    ),
    CbsColumn(
        "pct_households_social_minimum",
        ("HuishOnderOfRondSociaalMinimum",),
        "percent",
        "Huishoudens onder of rond het sociaal minimum",
    ),
    CbsColumn("pct_persons_poverty", ("PersonenInArmoede",), "percent", "Personen in armoede"),
    CbsColumn("land_area_ha", ("OppervlakteLand",), "ha", "Oppervlakte land"),
    CbsColumn("population_density", ("Bevolkingsdichtheid",), "per_km2", "Bevolkingsdichtheid"),
)

COLUMNS_BY_NAME: dict[str, CbsColumn] = {c.name: c for c in CANONICAL_COLUMNS}

_SUFFIX = re.compile(r"^(?P<prefix>.+?)_(?P<number>\d+)$")


def table_id(year: int) -> str:
    """Return the KWB table id for a reference year.

    Raises
    ------
    InputError
        When Stapelkaart knows no KWB table for that year.
    """
    try:
        return KWB_TABLES[int(year)]
    except (KeyError, ValueError, TypeError):
        years = ", ".join(str(y) for y in sorted(KWB_TABLES))
        raise InputError(
            f"No KWB table known for year {year!r}; choose one of {years}.",
            nl=f"Geen CBS-tabel Kerncijfers wijken en buurten voor jaar {year!r}; "
            f"kies uit {years}.",
        ) from None


def match_columns(cbs_keys: Iterable[str]) -> dict[str, str]:
    """Map canonical names to the CBS keys present in a table, matching on prefix.

    Parameters
    ----------
    cbs_keys
        The column keys of one CBS table (e.g. from its ``DataProperties``).

    Returns
    -------
    dict
        ``{canonical_name: cbs_key}`` for every canonical column the table has.
        Columns the table lacks are absent, never guessed.
    """
    by_prefix: dict[str, str] = {}
    for key in cbs_keys:
        match = _SUFFIX.match(key)
        if match:
            by_prefix.setdefault(match["prefix"], key)
    found: dict[str, str] = {}
    for column in CANONICAL_COLUMNS:
        for prefix in column.prefixes:
            if prefix in by_prefix:
                found[column.name] = by_prefix[prefix]
                break
    return found
