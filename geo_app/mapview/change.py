"""Classes, colours and legend rows of the change layer ("Verandering sinds <jaar>").

A change is a difference between two years, so its classes are symmetric around 0 with
a diverging palette: seven classes with the bounds ±s, ±2s and ±3s, where the step ``s``
is a round number (1, 2, 2,5 or 5 times a power of ten) near a third of the 90th
percentile of the absolute changes, and never below ``floor`` (for counts, which CBS
rounds to 5, a change of 5 is noise: the floor is 5). The middle class, from −s to +s,
is "nearly unchanged"; the outer classes are open-ended. An area falls in a class by the
size of its change, the same way up and down (a change of exactly ±s is in the middle).

Colours are ColorBrewer's RdBu (colour-blind safe): blue for a decrease, red for an
increase (more clients is the direction a wijkteam watches), a light grey for the middle.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from geo_app.mapview.classes import Classes, format_value

__all__ = [
    "CHANGE_COLOURS",
    "CHANGE_CLASSES",
    "change_classes",
    "change_rows",
    "nice_step",
    "signed_value",
    "step_decimals",
]

#: Number of change classes: three down, the middle, three up.
CHANGE_CLASSES = 7

#: RdBu, 7 classes, from the largest decrease (blue) to the largest increase (red).
CHANGE_COLOURS: tuple[str, ...] = (
    "#2166AC",
    "#67A9CF",
    "#D1E5F0",
    "#F2F2F2",
    "#FDDBC7",
    "#EF8A62",
    "#B2182B",
)

_MID = CHANGE_CLASSES // 2
_QUANTILE = 0.9


def nice_step(value: float) -> float:
    """The smallest of 1, 2, 2.5 and 5 times a power of ten that is at least ``value``.

    Zero, a negative or a non-finite value gives 0.
    """
    if not math.isfinite(value) or value <= 0:
        return 0.0
    power = 10.0 ** math.floor(math.log10(value))
    for mantissa in (1.0, 2.0, 2.5, 5.0, 10.0):
        step = mantissa * power
        if step >= value * (1 - 1e-12):
            return float(f"{step:.12g}")
    return 10.0 * power  # not reached


def step_decimals(step: float, *, most: int = 3) -> int:
    """Decimals that show ``step`` and its multiples exactly (2,5 → 1; 0,25 → 2)."""
    for places in range(most + 1):
        if abs(round(step, places) - step) <= 1e-9 * max(1.0, abs(step)):
            return places
    return most


def change_classes(values: np.ndarray, *, floor: float = 0.0) -> tuple[Classes, float]:
    """Classify changes into :data:`CHANGE_CLASSES` classes symmetric around 0.

    Parameters
    ----------
    values
        Changes; NaN where there is no comparison.
    floor
        Smallest step (e.g. 5 for counts rounded to 5).

    Returns
    -------
    classes : Classes
        ``index`` from 0 (largest decrease) to 6 (largest increase), -1 for NaN;
        ``bins`` the upper bounds ``-3s, -2s, -s, s, 2s, 3s, inf``.
    step : float
        The step ``s``.
    """
    y = np.asarray(values, dtype=float)
    present = np.isfinite(y)
    size = np.abs(y[present])
    wanted = float(np.quantile(size, _QUANTILE)) / 3 if len(size) else 0.0
    step = nice_step(max(wanted, float(floor)))
    if step <= 0:
        step = 1.0  # every change is 0 (or none is known): one unit per class
    index = np.full(len(y), -1, dtype=int)
    # how many of s, 2s, 3s the size exceeds: 0 (the middle) to 3 (open-ended)
    out = np.searchsorted(step * np.arange(1, _MID + 1), size, side="left")
    index[present] = _MID + np.sign(y[present]).astype(int) * out
    bins = np.array([-3, -2, -1, 1, 2, 3], dtype=float) * step
    bins = np.append(bins, np.inf)
    lower = float(y[present].min()) if present.any() else math.nan
    return Classes(index=index, bins=bins, lower=lower, exact=False), step


def signed_value(
    value: float | None, unit: str | None = None, *, decimals: int = 1, english: bool = False
) -> str:
    """:func:`~geo_app.mapview.classes.format_value` with a ``+`` before an increase."""
    text = format_value(value, unit, decimals=decimals, english=english)
    if text and value is not None and round(float(value), decimals) > 0:
        return "+" + text
    return text


def change_rows(
    step: float, *, places: int, texts: Mapping[str, str], english: bool = False
) -> list[tuple[str, str]]:
    """``(colour, label)`` of each change class, from the largest decrease up.

    ``texts`` holds ``change_below``, ``change_range``, ``change_flat`` and
    ``change_above`` (:data:`geo_app.mapview.legend.MAP_TEXT_KEYS`).
    """

    def num(v: float) -> str:
        return signed_value(v, decimals=places, english=english)

    s = step
    labels = [
        texts["change_below"].format(value=num(-3 * s)),
        texts["change_range"].format(low=num(-3 * s), high=num(-2 * s)),
        texts["change_range"].format(low=num(-2 * s), high=num(-s)),
        texts["change_flat"].format(low=num(-s), high=num(s)),
        texts["change_range"].format(low=num(s), high=num(2 * s)),
        texts["change_range"].format(low=num(2 * s), high=num(3 * s)),
        texts["change_above"].format(value=num(3 * s)),
    ]
    return list(zip(CHANGE_COLOURS, labels, strict=True))
