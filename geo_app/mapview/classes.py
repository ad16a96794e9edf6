"""Class breaks, colour-blind-safe palettes and Dutch number formatting for the map.

Class breaks are those of ``mapclassify``; this module only guards the edge
cases it does not handle (all values missing, fewer distinct values than
classes). Quantiles and equal intervals are computed here with mapclassify's
own arithmetic (tests check they are identical), so that drawing the first map
does not wait for importing mapclassify, which pulls in scipy.stats and
scikit-learn (over a second); Fisher-Jenks imports it when first used.
Palettes are colour-blind safe: viridis or cividis for numbers (darkest = highest
by default), Okabe-Ito (then Paul Tol's *muted*) for categories, and a red-blue
diverging scheme for the hotspot classes.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
from branca.colormap import LinearColormap, linear

from cbs_ingest.errors import InputError

__all__ = [
    "SCHEMES",
    "PALETTES",
    "OKABE_ITO",
    "TOL_MUTED",
    "HOTSPOT_COLOURS",
    "Scheme",
    "Classes",
    "classify",
    "sequential_colours",
    "category_colours",
    "format_number",
    "format_value",
    "auto_decimals",
    "separating_decimals",
]

#: Classification schemes: key → (Dutch label, name of the mapclassify class).
#: A class-break scheme (the keys of :data:`SCHEMES`).
Scheme = Literal["quantiles", "fisher_jenks", "equal_interval"]

SCHEMES: dict[Scheme, tuple[str, str]] = {
    "quantiles": ("Kwantielen (even veel gebieden per klasse)", "Quantiles"),
    "fisher_jenks": ("Natuurlijke grenzen (Fisher-Jenks)", "FisherJenks"),
    "equal_interval": ("Gelijke intervallen", "EqualInterval"),
}


def _score_at_percentile(ordered: np.ndarray, per: float) -> float:
    """``scipy.stats.scoreatpercentile`` (fraction interpolation) on sorted values."""
    idx = per / 100.0 * (len(ordered) - 1)
    i = int(idx)
    if i == idx:
        return float(ordered[i])
    weights = np.array([(i + 1 - idx), (idx - i)], float)
    return float(np.add.reduce(ordered[i : i + 2] * weights) / weights.sum())


def quantile_bins(data: np.ndarray, k: int) -> np.ndarray:
    """Upper bounds of ``mapclassify.Quantiles(data, k)``, computed the same way."""
    w = 100.0 / k
    p = np.arange(w, 100 + w, w)
    if p[-1] > 100.0:
        p[-1] = 100.0
    ordered = np.sort(np.asarray(data, dtype=float))
    return np.unique(np.array([_score_at_percentile(ordered, pct) for pct in p]))


def equal_interval_bins(data: np.ndarray, k: int) -> np.ndarray:
    """Upper bounds of ``mapclassify.EqualInterval(data, k)``, computed the same way."""
    y = np.asarray(data, dtype=float)
    max_y, min_y = max(y), min(y)
    width = (max_y - min_y) * 1.0 / k
    if not width > 0:  # a constant, or a range so small that the width underflows to 0
        return np.array([max_y])
    cuts = np.arange(min_y + width, max_y + width, width)
    if len(cuts) > k:  # handle overshooting
        cuts = cuts[0:k]
    cuts[-1] = max_y
    return cuts.copy()


def _scheme_bins(scheme: Scheme, data: np.ndarray, k: int) -> np.ndarray:
    if scheme == "quantiles":
        return quantile_bins(data, k)
    if scheme == "equal_interval":
        return equal_interval_bins(data, k)
    import mapclassify

    return np.asarray(getattr(mapclassify, SCHEMES[scheme][1])(data, k=k).bins, dtype=float)


_CIVIDIS_ANCHORS = (
    "#00224e",
    "#123570",
    "#3b496c",
    "#575d6d",
    "#707173",
    "#8a8779",
    "#a69d75",
    "#c4b56c",
    "#e4cf5b",
    "#fee838",
)

#: Sequential palettes (colour-blind safe, readable in greyscale).
PALETTES: dict[str, LinearColormap] = {
    "viridis": linear.viridis,  # type: ignore[attr-defined]  # branca sets these at import
    "cividis": LinearColormap(list(_CIVIDIS_ANCHORS)),
}

#: Okabe & Ito (2008), without black: safe for all common colour-vision deficiencies.
OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7")
#: Paul Tol's *muted* qualitative scheme, for more than seven categories.
TOL_MUTED = (
    "#CC6677",
    "#332288",
    "#DDCC77",
    "#117733",
    "#88CCEE",
    "#882255",
    "#44AA99",
    "#999933",
    "#AA4499",
)

#: Hotspot classes (from the analysis) drawn on the map, in legend order, and their
#: colours; their labels are :data:`geo_app.session.i18n.HOTSPOT_LABELS`. Other
#: outcomes ("no data", "not computed") are drawn as missing.
HOTSPOT_COLOURS: dict[str, str] = {
    "High-High": "#B2182B",
    "High-Low": "#F4A582",
    "Low-High": "#92C5DE",
    "Low-Low": "#2166AC",
    "not significant": "#E8E8E8",
    "no neighbours": "#FFFFFF",
}


@dataclass(frozen=True)
class Classes:
    """Result of classifying numeric values.

    Attributes
    ----------
    index
        Class per value, ``-1`` where the value is missing.
    bins
        Upper bound of each class (``mapclassify`` convention).
    lower
        Lowest value (the lower bound of the first class), NaN when all missing.
    exact
        True when each class holds a single distinct value (few distinct values).
    """

    index: np.ndarray
    bins: np.ndarray
    lower: float
    exact: bool = False

    @property
    def k(self) -> int:
        """Number of classes."""
        return len(self.bins)


def classify(values: np.ndarray, *, scheme: Scheme = "quantiles", k: int = 5) -> Classes:
    """Assign numeric values to ``k`` classes with ``mapclassify``.

    Parameters
    ----------
    values
        Numbers; NaN means missing or suppressed.
    scheme
        A key of :data:`SCHEMES`.
    k
        Wanted number of classes (2–9). Fewer distinct values give one class
        per distinct value; all-missing gives no classes.

    Raises
    ------
    InputError
        For an unknown scheme or a ``k`` outside 2–9.
    """
    if scheme not in SCHEMES:
        raise InputError(
            f"Unknown classification scheme {scheme!r}; choose one of {', '.join(SCHEMES)}.",
            nl=f"Onbekende klassenindeling {scheme!r}.",
        )
    if not 2 <= int(k) <= 9:
        raise InputError(
            f"Number of classes must be between 2 and 9, got {k}.",
            nl="Kies tussen 2 en 9 klassen.",
        )
    y = np.asarray(values, dtype=float)
    index = np.full(len(y), -1, dtype=int)
    present = np.isfinite(y)
    if not present.any():
        return Classes(index=index, bins=np.array([]), lower=math.nan, exact=True)
    data = y[present]
    unique = np.unique(data)
    exact = len(unique) <= k
    if exact:
        bins = unique
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # mapclassify warns about ties; handled below
            bins = np.unique(_scheme_bins(scheme, data, int(k)))
        bins[-1] = max(bins[-1], data.max())
    index[present] = np.searchsorted(bins, data, side="left")
    return Classes(index=index, bins=bins, lower=float(data.min()), exact=exact)


def sequential_colours(n: int, *, palette: str = "viridis", reverse: bool = True) -> list[str]:
    """Return ``n`` colours from a sequential palette.

    Parameters
    ----------
    n
        Number of classes.
    palette
        A key of :data:`PALETTES`.
    reverse
        True (default) makes the highest class the darkest.
    """
    if palette not in PALETTES:
        raise InputError(
            f"Unknown palette {palette!r}; choose one of {', '.join(PALETTES)}.",
            nl=f"Onbekend kleurenpalet {palette!r}.",
        )
    if n <= 0:
        return []
    cmap = PALETTES[palette]
    # Stay away from the extreme ends: the lightest viridis yellow vanishes on white.
    stops = np.linspace(0.08, 0.92, n) if n > 1 else np.array([0.5])
    if reverse:
        stops = stops[::-1]
    lo, hi = cmap.vmin, cmap.vmax
    return [cmap.rgb_hex_str(lo + s * (hi - lo)) for s in stops]


def category_colours(n: int) -> list[str]:
    """Return ``n`` qualitative colours (Okabe-Ito, then Tol muted, then repeated)."""
    base = OKABE_ITO if n <= len(OKABE_ITO) else TOL_MUTED
    return [base[i % len(base)] for i in range(n)]


def auto_decimals(values: np.ndarray) -> int:
    """Choose decimals for display: 0 for whole numbers, else 1, or 2 for a small range."""
    y = np.asarray(values, dtype=float)
    y = y[np.isfinite(y)]
    if len(y) == 0 or np.allclose(y, np.round(y)):
        return 0
    return 2 if np.ptp(y) < 1 else 1


def separating_decimals(classes: Classes, places: int, *, most: int = 3) -> int:
    """At least ``places``, and enough (up to ``most``) that distinct class bounds look distinct.

    A legend row like "-0,8 – -0,8" hides that its bounds differ; one more decimal shows it.
    """
    edges = np.array([classes.lower, *classes.bins], dtype=float)
    edges = np.unique(edges[np.isfinite(edges)])
    while places < most and len(np.unique(np.round(edges, places))) < len(edges):
        places += 1
    return places


def format_number(value: float, decimals: int = 1, *, english: bool = False) -> str:
    """Format a number the Dutch way, ``1.234,5`` (``english``: ``1,234.5``).

    A value that rounds to zero is written without a sign (``0,0``, never ``-0,0``).
    """
    value = round(float(value), decimals) + 0.0  # + 0.0 turns -0.0 into 0.0
    text = f"{value:,.{decimals}f}"
    if english:
        return text
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def format_value(
    value: float | None, unit: str | None = None, *, decimals: int = 1, english: bool = False
) -> str:
    """Format a value with its unit for a tooltip or legend, Dutch style (or English).

    Parameters
    ----------
    value
        The number; None or NaN gives an empty string.
    unit
        A unit of :data:`cbs_ingest.columns.CANONICAL_COLUMNS` (``percent``,
        ``count``, ``per_1000``, ``x1000_euro``, ``ha``, ``per_km2``) or of
        ``layers.INDICATORS`` (``index``), any other text (appended after a
        space), or None.
    decimals
        Decimals shown.
    english
        Decimal point and thousands comma (``1,234.5``, ``per 1,000``).
    """
    if value is None or not math.isfinite(float(value)):
        return ""
    value = float(value)
    text = format_number(value, decimals, english=english)
    if unit == "percent":
        return f"{text}%"
    if unit in ("count", "index"):
        return text
    if unit == "per_1000":
        return f"{text} per {'1,000' if english else '1.000'}"
    if unit == "x1000_euro":
        return f"€ {format_number(round(value * 1000, -2), 0, english=english)}"
    if unit == "ha":
        return f"{text} ha"
    if unit == "per_km2":
        return f"{text} per km²"
    return f"{text} {unit}" if unit else text
