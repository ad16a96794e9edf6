"""The indicator registry and the pure function that computes indicator values.

An indicator turns columns of an area frame (see :mod:`cbs_ingest.columns`)
into one comparable figure per area: a percentage, a rate per 1,000 or an
age-standardised index. Every indicator states its numerator, its denominator,
its direction (``+1``: a higher value means more need) and the minimum
denominator below which the value is too noisy to show; such values become NaN.

Three kinds exist:

``given``
    CBS publishes the figure itself (e.g. ``pct_corporation_owned``). The
    denominator is used only for the minimum-size check.
``ratio``
    ``sum(numerator columns) / denominator * scale``.
``smr``
    Indirectly age-standardised ratio, ``100 * observed / expected``; see
    :mod:`layers.standardise`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from layers.standardise import NATIONAL_RATES_2024, AgeRates, expected_counts

__all__ = [
    "Indicator",
    "INDICATORS",
    "DENOMINATORS",
    "get_indicator",
    "denominators",
    "compute_indicators",
]

#: Denominators an indicator can use, with their Dutch label.
DENOMINATORS: dict[str, str] = {
    "population": "inwoners",
    "households": "huishoudens",
    "dwellings": "woningen",
    "population_15_65": "inwoners van 15 tot 65 jaar",
    "young_0_23": "jongeren tot 23 jaar (benadering: 0-15 jaar + 80% van 15-25 jaar)",
    "none": "geen (absoluut aantal)",
}


@dataclass(frozen=True)
class Indicator:
    """One indicator: what it measures and how it is computed.

    Attributes
    ----------
    key
        Stable snake_case identifier, also the output column name.
    label_nl
        Dutch label as a person sees it, with its unit.
    short_nl
        One or two Dutch words, used in cluster profiles ("bijstand").
    definition_nl
        Dutch definition: numerator, denominator, source and caveats.
    kind
        ``given``, ``ratio`` or ``smr`` (see the module docstring).
    numerator
        Frame columns summed into the numerator (``given``: the one column
        holding the published value; ``smr``: the observed count).
    denominator
        A key of :data:`DENOMINATORS`, or ``"column:<name>"`` for a frame
        column (a municipality's own denominator).
    unit
        ``percent``, ``per_1000``, ``index`` (100 = as expected) or ``x1000_euro``.
    direction
        ``+1`` when a higher value means more need, ``-1`` when lower does.
    min_denominator
        Below this denominator the value is not shown (NaN).
    scale
        Multiplier of a ``ratio`` (100 for a percentage, 1000 per 1,000).
    source
        Where the figures come from, e.g. ``CBS KWB`` or ``gemeente``.
    """

    key: str
    label_nl: str
    short_nl: str
    definition_nl: str
    kind: str
    numerator: tuple[str, ...]
    denominator: str
    unit: str
    direction: int = 1
    min_denominator: float = 100.0
    scale: float = 1.0
    source: str = "CBS Kerncijfers wijken en buurten"

    def __post_init__(self) -> None:
        if self.kind not in {"given", "ratio", "smr"}:
            raise ValueError(f"indicator {self.key!r}: unknown kind {self.kind!r}")
        if self.denominator not in DENOMINATORS and not self.denominator.startswith("column:"):
            raise ValueError(f"indicator {self.key!r}: unknown denominator {self.denominator!r}")
        if self.direction not in (1, -1):
            raise ValueError(f"indicator {self.key!r}: direction must be +1 or -1")
        if not self.numerator:
            raise ValueError(f"indicator {self.key!r}: numerator is empty")

    @property
    def columns(self) -> tuple[str, ...]:
        """Frame columns this indicator needs (numerator and denominator parts)."""
        if self.denominator.startswith("column:"):
            return (*self.numerator, self.denominator.removeprefix("column:"))
        return tuple(self.numerator) + _DENOMINATOR_COLUMNS[self.denominator]


_WORKING_AGE = ("age_15_25", "age_25_45", "age_45_65")
_DENOMINATOR_COLUMNS: dict[str, tuple[str, ...]] = {
    "population": ("population",),
    "households": ("households",),
    "dwellings": ("dwellings",),
    "population_15_65": _WORKING_AGE,
    "young_0_23": ("age_0_15", "age_15_25"),
    "none": (),
}

_REGISTRY: tuple[Indicator, ...] = (
    Indicator(
        "pct_corporation_owned",
        "Woningen van een woningcorporatie (%)",
        "corporatiebezit",
        "Aandeel woningen in eigendom van een woningcorporatie, als percentage van alle woningen "
        "(CBS, peildatum 1 januari). Dit is eigendom, niet de huurprijs: het is niet hetzelfde "
        "als sociale huur. CBS publiceert het vanaf 20 woningen.",
        "given",
        ("pct_corporation_owned",),
        "dwellings",
        "percent",
        min_denominator=20,
    ),
    Indicator(
        "pct_rental",
        "Huurwoningen (%)",
        "huur",
        "Aandeel huurwoningen (corporatie en particulier) in de woningvoorraad (CBS).",
        "given",
        ("pct_rental",),
        "dwellings",
        "percent",
        min_denominator=20,
    ),
    Indicator(
        "bijstand_per_1000_15_65",
        "Bijstand per 1.000 inwoners van 15-65 jaar",
        "bijstand",
        "Personen met een bijstandsuitkering (Participatiewet, stand eind december, CBS) per 1.000 "
        "inwoners van 15 tot 65 jaar. CBS kent geen leeftijdsgroep tot de AOW-leeftijd; "
        "15-65 is de beste benadering. Tellingen zijn door CBS op tientallen afgerond.",
        "ratio",
        ("persons_bijstand",),
        "population_15_65",
        "per_1000",
        min_denominator=100,
        scale=1000.0,
    ),
    Indicator(
        "other_benefits_per_1000_15_65",
        "AO- en WW-uitkeringen per 1.000 inwoners van 15-65 jaar",
        "AO/WW",
        "Personen met een arbeidsongeschiktheidsuitkering (WAO, WIA, Wajong, WAZ) of een "
        "WW-uitkering per 1.000 inwoners van 15 tot 65 jaar (CBS, stand eind december).",
        "ratio",
        ("persons_ao", "persons_ww"),
        "population_15_65",
        "per_1000",
        min_denominator=100,
        scale=1000.0,
    ),
    Indicator(
        "benefits_per_1000_15_65",
        "Alle uitkeringen (bijstand, AO, WW) per 1.000 inwoners van 15-65 jaar",
        "uitkeringen",
        "Personen met bijstand, een arbeidsongeschiktheids- of een WW-uitkering per 1.000 inwoners "
        "van 15 tot 65 jaar (CBS). Iemand met twee uitkeringen telt twee keer.",
        "ratio",
        ("persons_bijstand", "persons_ao", "persons_ww"),
        "population_15_65",
        "per_1000",
        min_denominator=100,
        scale=1000.0,
    ),
    Indicator(
        "wmo_per_1000",
        "Wmo-cliënten per 1.000 inwoners",
        "Wmo",
        "Personen met ten minste een Wmo-maatwerkarrangement per 1.000 inwoners (CBS, "
        "Gemeentelijke Monitor Sociaal Domein). Niet gecorrigeerd voor leeftijd: buurten met veel "
        "ouderen scoren hoog zonder dat er een probleem hoeft te zijn.",
        "ratio",
        ("wmo_clients",),
        "population",
        "per_1000",
        min_denominator=100,
        scale=1000.0,
    ),
    Indicator(
        "wmo_age_index",
        "Wmo-gebruik t.o.v. verwacht naar leeftijd (index, 100 = verwacht)",
        "Wmo",
        "Waargenomen aantal Wmo-cliënten gedeeld door het aantal dat je verwacht op grond van de "
        "leeftijdsopbouw van het gebied, maal 100 (indirecte standaardisatie). De verwachting "
        "gebruikt referentiecijfers per leeftijdsgroep, geschat uit de landelijke wijkcijfers; "
        "zie de documentatie voor methode en kanttekeningen.",
        "smr",
        ("wmo_clients",),
        "population",
        "index",
        min_denominator=100,
    ),
    Indicator(
        "youth_care_pct",
        "Jongeren met jeugdzorg (%)",
        "jeugdzorg",
        "Percentage personen tot 23 jaar met jeugdhulp in natura, jeugdbescherming of "
        "jeugdreclassering (CBS). Pgb-zorg telt niet mee.",
        "given",
        ("youth_care_pct",),
        "young_0_23",
        "percent",
        min_denominator=50,
    ),
    Indicator(
        "youth_care_age_index",
        "Jeugdzorg t.o.v. verwacht naar leeftijd (index, 100 = verwacht)",
        "jeugdzorg",
        "Waargenomen aantal jongeren met jeugdzorg gedeeld door het aantal dat je verwacht op "
        "grond van het aantal kinderen (0-15) en jongeren (15-25) in het gebied, maal 100.",
        "smr",
        ("youth_care_count",),
        "young_0_23",
        "index",
        min_denominator=50,
    ),
    Indicator(
        "pct_persons_poverty",
        "Personen in armoede (%)",
        "armoede",
        "Percentage personen in particuliere huishoudens met een inkomen onder de armoedegrens "
        "(CBS).",
        "given",
        ("pct_persons_poverty",),
        "population",
        "percent",
        min_denominator=100,
    ),
    Indicator(
        "pct_households_social_minimum",
        "Huishoudens onder of rond het sociaal minimum (%)",
        "sociaal minimum",
        "Percentage particuliere huishoudens met een inkomen tot 110% van het sociaal minimum "
        "(CBS).",
        "given",
        ("pct_households_social_minimum",),
        "households",
        "percent",
        min_denominator=100,
    ),
    Indicator(
        "pct_households_low_income",
        "Huishoudens met een laag inkomen (%)",
        "laag inkomen",
        "Percentage particuliere huishoudens met een laag inkomen (CBS-lage-inkomensgrens).",
        "given",
        ("pct_households_low_income",),
        "households",
        "percent",
        min_denominator=100,
    ),
    Indicator(
        "pct_households_lowest_income_40",
        "Huishoudens bij de landelijk 40% laagste inkomens (%)",
        "lage inkomens",
        "Percentage particuliere huishoudens dat tot de landelijk 40% huishoudens met het laagste "
        "besteedbaar inkomen behoort (CBS, vanaf 100 huishoudens).",
        "given",
        ("pct_households_lowest_income_40",),
        "households",
        "percent",
        min_denominator=100,
    ),
    Indicator(
        "avg_income_per_inhabitant",
        "Gemiddeld inkomen per inwoner (x 1.000 euro)",
        "inkomen",
        "Gemiddeld persoonlijk inkomen per inwoner (CBS). Lager betekent meer opgave.",
        "given",
        ("avg_income_per_inhabitant",),
        "population",
        "x1000_euro",
        direction=-1,
        min_denominator=100,
    ),
)

#: Every built-in indicator by key. Treat as read-only; user indicators are
#: passed to the functions that need them, never added here.
INDICATORS: Mapping[str, Indicator] = {ind.key: ind for ind in _REGISTRY}


def get_indicator(key: str, extra: Iterable[Indicator] = ()) -> Indicator:
    """Return the indicator with this key.

    Parameters
    ----------
    key
        Indicator key, e.g. ``"bijstand_per_1000_15_65"``.
    extra
        Additional (e.g. municipal) indicators to look in first.

    Raises
    ------
    KeyError
        When no indicator has this key.
    """
    for ind in extra:
        if ind.key == key:
            return ind
    try:
        return INDICATORS[key]
    except KeyError:
        raise KeyError(f"unknown indicator {key!r}; known: {', '.join(INDICATORS)}") from None


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name not in frame.columns:
        raise ValueError(f"frame has no column {name!r}")
    return pd.to_numeric(frame[name], errors="coerce").astype(float)


def denominators(frame: pd.DataFrame, keys: Iterable[str] = tuple(DENOMINATORS)) -> pd.DataFrame:
    """Compute denominator columns, aligned to ``frame.index``.

    Parameters
    ----------
    frame
        An area frame.
    keys
        Denominator keys of :data:`DENOMINATORS` (or ``"column:<name>"``) to compute.

    Returns
    -------
    pandas.DataFrame
        One float column per key; NaN where a part is missing.
    """
    out = {}
    for key in keys:
        if key.startswith("column:"):
            out[key] = _column(frame, key.removeprefix("column:"))
        elif key == "none":
            out[key] = pd.Series(np.inf, index=frame.index)
        elif key == "young_0_23":
            out[key] = _column(frame, "age_0_15") + 0.8 * _column(frame, "age_15_25")
        else:
            parts = [_column(frame, c) for c in _DENOMINATOR_COLUMNS[key]]
            out[key] = sum(parts[1:], parts[0])
    return pd.DataFrame(out, index=frame.index)


def compute_indicators(
    frame: pd.DataFrame,
    keys: Sequence[str] | None = None,
    *,
    extra: Iterable[Indicator] = (),
    rates: Mapping[str, AgeRates] | None = None,
    apply_min_denominator: bool = True,
) -> pd.DataFrame:
    """Compute indicator values for every area.

    Parameters
    ----------
    frame
        An area frame (any level). It is not modified.
    keys
        Indicator keys to compute; default all built-in ones.
    extra
        Additional indicators (e.g. from :func:`layers.municipal.join_municipal`).
    rates
        Age-group reference rates per observed-count column for ``smr``
        indicators; defaults to :data:`layers.standardise.NATIONAL_RATES_2024`.
    apply_min_denominator
        Set values to NaN where the denominator is below the indicator's minimum.

    Returns
    -------
    pandas.DataFrame
        One float column per indicator key, aligned to ``frame.index``.

    Raises
    ------
    ValueError
        When a needed column is missing from the frame.
    """
    extra = tuple(extra)
    if keys is None:
        keys = list(INDICATORS) + [e.key for e in extra]
    rates = dict(NATIONAL_RATES_2024 if rates is None else rates)
    indicators = [get_indicator(k, extra) for k in keys]
    dens = denominators(frame, {ind.denominator for ind in indicators})
    out: dict[str, pd.Series] = {}
    for ind in indicators:
        den = dens[ind.denominator]
        with np.errstate(divide="ignore", invalid="ignore"):
            if ind.kind == "given":
                value = _column(frame, ind.numerator[0])
            elif ind.kind == "ratio":
                parts = [_column(frame, c) for c in ind.numerator]
                num = sum(parts[1:], parts[0])
                value = num / den.where(den > 0) * ind.scale
            else:
                observed = _column(frame, ind.numerator[0])
                count_rates = rates.get(ind.numerator[0])
                if count_rates is None:
                    raise ValueError(f"no age reference rates for {ind.numerator[0]!r}")
                expected = expected_counts(frame, count_rates)
                value = 100.0 * observed / expected.where(expected > 0)
        value = value.replace([np.inf, -np.inf], np.nan)
        if apply_min_denominator:
            value = value.where(den >= ind.min_denominator)
        out[ind.key] = value.astype(float)
    return pd.DataFrame(out, index=frame.index, columns=list(keys))
