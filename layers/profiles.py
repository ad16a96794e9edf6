"""Analysis profiles: which themes are stacked, with which thresholds.

A profile is a list of *themes*. Each theme names one or more candidate
indicators, in order of preference: the first one the data has is used (KWB
2024's current version has ``pct_persons_poverty`` but no social-minimum
column; other versions are the other way round). A theme counts as *high* for
an area when its indicator passes the theme's threshold, either a percentile
within the comparison scope or an absolute value in the indicator's unit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from layers.indicators import INDICATORS

__all__ = ["Threshold", "Theme", "Profile", "PROFILES", "get_profile", "custom_profile"]


@dataclass(frozen=True)
class Threshold:
    """When a theme counts as high.

    Attributes
    ----------
    kind
        ``"percentile"``: the area's percentile rank within the comparison
        scope is at least ``value`` (0-100, in the direction of need).
        ``"absolute"``: the indicator value is at least ``value`` (or at most,
        for an indicator where lower means more need), in the indicator's unit.
    value
        The threshold.
    """

    kind: str = "percentile"
    value: float = 80.0

    def __post_init__(self) -> None:
        if self.kind not in {"percentile", "absolute"}:
            raise ValueError(
                f"threshold kind must be 'percentile' or 'absolute', not {self.kind!r}"
            )
        if self.kind == "percentile" and not 0.0 <= float(self.value) <= 100.0:
            raise ValueError("a percentile threshold must lie between 0 and 100")

    def describe_nl(self, unit: str = "") -> str:
        """Dutch description, e.g. ``"bij de hoogste 20%"`` or ``">= 90 %"``."""
        if self.kind == "percentile":
            return f"bij de hoogste {100 - self.value:g}% (percentiel >= {self.value:g})"
        return f">= {self.value:g} {unit}".rstrip()


@dataclass(frozen=True)
class Theme:
    """One theme of a profile.

    Attributes
    ----------
    key
        Identifier of the theme, e.g. ``"bijstand"``.
    label_nl
        Dutch label.
    candidates
        Indicator keys, most preferred first; the first with data is used.
    threshold
        When the theme counts as high.
    """

    key: str
    label_nl: str
    candidates: tuple[str, ...]
    threshold: Threshold = field(default_factory=Threshold)


@dataclass(frozen=True)
class Profile:
    """A named set of themes plus the rules that turn them into a stacking flag.

    Attributes
    ----------
    key
        Identifier, e.g. ``"default"``.
    name_nl
        Dutch name shown in the app.
    description_nl
        Dutch explanation: what is stacked and why.
    themes
        The themes.
    flag_min_themes
        An area is flagged as a stacking area when at least this many themes are high.
    min_indicators
        Scores are computed only for areas with at least this many themes available.
    smoothing
        Rank and flag on the empirically Bayes-smoothed values (see
        :mod:`models.reliability`) instead of the raw ones.
    """

    key: str
    name_nl: str
    description_nl: str
    themes: tuple[Theme, ...]
    flag_min_themes: int = 3
    min_indicators: int = 3
    smoothing: bool = False

    def __post_init__(self) -> None:
        if not self.themes:
            raise ValueError(f"profile {self.key!r} has no themes")
        if len({t.key for t in self.themes}) != len(self.themes):
            raise ValueError(f"profile {self.key!r} has duplicate theme keys")
        if not 1 <= self.flag_min_themes <= len(self.themes):
            raise ValueError(f"profile {self.key!r}: flag_min_themes out of range")
        if not 1 <= self.min_indicators <= len(self.themes):
            raise ValueError(f"profile {self.key!r}: min_indicators out of range")


_P80 = Threshold("percentile", 80.0)

_DEFAULT = Profile(
    "default",
    "Standaard: stapeling van sociale opgaven",
    "Vijf thema's die samen de sociale opgave van een buurt beschrijven: corporatiebezit, "
    "bijstand, Wmo-gebruik en jeugdzorg (beide gecorrigeerd voor leeftijd) en armoede. Een "
    "thema telt als hoog bij de hoogste 20% van de vergelijkingsgroep; een gebied is een "
    "stapelgebied bij drie of meer hoge thema's.",
    (
        Theme("wonen", "Corporatiebezit", ("pct_corporation_owned",), _P80),
        Theme("bijstand", "Bijstand", ("bijstand_per_1000_15_65",), _P80),
        Theme("wmo", "Wmo (leeftijdgecorrigeerd)", ("wmo_age_index",), _P80),
        Theme(
            "jeugd",
            "Jeugdzorg (leeftijdgecorrigeerd)",
            ("youth_care_age_index", "youth_care_pct"),
            _P80,
        ),
        Theme(
            "armoede",
            "Armoede en laag inkomen",
            (
                "pct_persons_poverty",
                "pct_households_social_minimum",
                "pct_households_low_income",
                "pct_households_lowest_income_40",
            ),
            _P80,
        ),
    ),
    flag_min_themes=3,
    min_indicators=3,
)

_BROAD = Profile(
    "breed",
    "Breed: ook AO/WW-uitkeringen en lage inkomens",
    "Het standaardprofiel plus arbeidsongeschiktheids- en WW-uitkeringen en het aandeel "
    "huishoudens met de 40% laagste inkomens. Stapelgebied bij vier of meer hoge thema's.",
    _DEFAULT.themes
    + (
        Theme("ao_ww", "AO- en WW-uitkeringen", ("other_benefits_per_1000_15_65",), _P80),
        Theme("inkomen", "Lage inkomens", ("pct_households_lowest_income_40",), _P80),
    ),
    flag_min_themes=4,
    min_indicators=4,
)

_CRUDE = Profile(
    "ongecorrigeerd",
    "Zonder leeftijdscorrectie (ruwe Wmo en jeugdzorg)",
    "Als het standaardprofiel, maar met het ruwe aantal Wmo-cliënten per 1.000 inwoners en "
    "het CBS-percentage jongeren met jeugdzorg. Bedoeld ter vergelijking: buurten met veel "
    "ouderen lijken hier zwaarder belast.",
    tuple(
        {
            "wmo": Theme("wmo", "Wmo (ruw)", ("wmo_per_1000",), _P80),
            "jeugd": Theme("jeugd", "Jeugdzorg (ruw)", ("youth_care_pct",), _P80),
        }.get(t.key, t)
        for t in _DEFAULT.themes
    ),
    flag_min_themes=3,
    min_indicators=3,
)

_DORDRECHT = Profile(
    "dordrecht",
    "Absolute drempels (Dordtse norm)",
    "Vaste drempels in plaats van percentielen, zoals Dordrecht ze formuleerde: meer dan 90% "
    "corporatiewoningen, 40% uitkeringen (400 per 1.000 inwoners van 15-65), 30% Wmo (300 per "
    "1.000 inwoners) en 25% jongeren met jeugdzorg. Stapelgebied als alle vier gelden.",
    (
        Theme("wonen", "Corporatiebezit", ("pct_corporation_owned",), Threshold("absolute", 90)),
        Theme(
            "uitkeringen",
            "Uitkeringen",
            ("benefits_per_1000_15_65",),
            Threshold("absolute", 400),
        ),
        Theme("wmo", "Wmo", ("wmo_per_1000",), Threshold("absolute", 300)),
        Theme("jeugd", "Jeugdzorg", ("youth_care_pct",), Threshold("absolute", 25)),
    ),
    flag_min_themes=4,
    min_indicators=3,
)

_SMOOTHED = Profile(
    "gladgestreken",
    "Standaard, kleine gebieden gladgestreken",
    "Als het standaardprofiel, maar elk cijfer is naar het niveau van de eigen gemeente "
    "getrokken naar mate het op weinig inwoners rust (empirical Bayes). Een klein gebied komt "
    "dan niet bovenaan door één afrondingsstap of één instelling; de ruwe cijfers blijven "
    "zichtbaar.",
    _DEFAULT.themes,
    flag_min_themes=3,
    min_indicators=3,
    smoothing=True,
)

#: Built-in profiles by key, default first.
PROFILES: Mapping[str, Profile] = {
    p.key: p for p in (_DEFAULT, _SMOOTHED, _BROAD, _CRUDE, _DORDRECHT)
}


def get_profile(key: str) -> Profile:
    """Return a built-in profile by key.

    Raises
    ------
    KeyError
        When no profile has this key.
    """
    try:
        return PROFILES[key]
    except KeyError:
        raise KeyError(f"unknown profile {key!r}; known: {', '.join(PROFILES)}") from None


def custom_profile(
    indicators: Sequence[str],
    *,
    threshold: Threshold | Mapping[str, Threshold] = _P80,
    flag_min_themes: int | None = None,
    min_indicators: int | None = None,
    name_nl: str = "Eigen selectie",
    extra_labels: Mapping[str, str] | None = None,
) -> Profile:
    """Build a profile with one theme per indicator, e.g. from the app's selection.

    Parameters
    ----------
    indicators
        Indicator keys (built-in or municipal), one theme each.
    threshold
        One threshold for all themes, or one per indicator key.
    flag_min_themes
        Default: a majority of the themes (at least 2 when there are 2 or more).
    min_indicators
        Default: half of the themes, rounded up.
    name_nl
        Dutch profile name.
    extra_labels
        Dutch labels for indicators not in the built-in registry (municipal ones).

    Returns
    -------
    Profile
    """
    if not indicators:
        raise ValueError("select at least one indicator")
    if len(set(indicators)) != len(indicators):
        raise ValueError("an indicator is selected twice")
    labels = dict(extra_labels or {})
    themes = []
    for key in indicators:
        label = labels.get(key) or (INDICATORS[key].label_nl if key in INDICATORS else key)
        chosen = threshold.get(key, _P80) if isinstance(threshold, Mapping) else threshold
        themes.append(Theme(key, label, (key,), chosen))
    n = len(themes)
    default_flag = min(n, max(2, n // 2 + 1)) if n > 1 else 1
    return Profile(
        "custom",
        name_nl,
        "Zelf samengestelde selectie van indicatoren.",
        tuple(themes),
        flag_min_themes=flag_min_themes or default_flag,
        min_indicators=min_indicators or -(-n // 2),
    )
