"""Models: stacking scores, reliability, rank uncertainty, typology and hotspots.

:func:`run_analysis` runs the whole analysis on an area frame and returns an
:class:`AnalysisResult` whose ``table`` is aligned to the input index.
"""

from __future__ import annotations

from models.analysis import OUTPUT_COLUMNS, SCOPES, SMOOTHED_SUFFIX, AnalysisResult, run_analysis
from models.hotspots import HotspotResult, build_weights, local_hotspots
from models.reliability import (
    RELIABILITY_KEYS,
    ReliabilityResult,
    count_basis,
    smooth_indicators,
    smooth_rates,
)
from models.stacking import StackingResult, stacking_scores
from models.typology import METHODS, TypologyResult, cluster_areas
from models.uncertainty import (
    STABILITY_KEYS,
    UncertaintyResult,
    rank_uncertainty,
)

__all__ = [
    "METHODS",
    "OUTPUT_COLUMNS",
    "RELIABILITY_KEYS",
    "SCOPES",
    "SMOOTHED_SUFFIX",
    "STABILITY_KEYS",
    "AnalysisResult",
    "HotspotResult",
    "ReliabilityResult",
    "StackingResult",
    "TypologyResult",
    "UncertaintyResult",
    "build_weights",
    "cluster_areas",
    "count_basis",
    "local_hotspots",
    "rank_uncertainty",
    "run_analysis",
    "smooth_indicators",
    "smooth_rates",
    "stacking_scores",
]
