"""Indicator layers: pure functions on area GeoDataFrames.

``INDICATORS`` / :func:`get_indicator` describe every indicator (Dutch label,
unit, direction, definition, minimum denominator); ``PROFILES`` lists the
built-in analysis profiles with Dutch names.
"""

from __future__ import annotations

from layers.indicators import (
    DENOMINATORS,
    INDICATORS,
    Indicator,
    compute_indicators,
    denominators,
    get_indicator,
)
from layers.profiles import PROFILES, Profile, Theme, Threshold, custom_profile, get_profile
from layers.standardise import (
    AGE_GROUPS,
    NATIONAL_RATES_2024,
    AgeRates,
    expected_counts,
    fit_age_rates,
)

__all__ = [
    "AGE_GROUPS",
    "DENOMINATORS",
    "INDICATORS",
    "NATIONAL_RATES_2024",
    "PROFILES",
    "AgeRates",
    "Indicator",
    "Profile",
    "Theme",
    "Threshold",
    "compute_indicators",
    "custom_profile",
    "denominators",
    "expected_counts",
    "fit_age_rates",
    "get_indicator",
    "get_profile",
]
