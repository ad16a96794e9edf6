"""Models: stacking scores, clustering typology and spatial hotspots.

:func:`run_analysis` runs the whole analysis on an area frame and returns an
:class:`AnalysisResult` whose ``table`` is aligned to the input index.
"""

from __future__ import annotations

from models.analysis import OUTPUT_COLUMNS, SCOPES, AnalysisResult, run_analysis
from models.hotspots import HotspotResult, build_weights, local_hotspots
from models.stacking import StackingResult, stacking_scores
from models.typology import METHODS, TypologyResult, cluster_areas

__all__ = [
    "METHODS",
    "OUTPUT_COLUMNS",
    "SCOPES",
    "AnalysisResult",
    "HotspotResult",
    "StackingResult",
    "TypologyResult",
    "build_weights",
    "cluster_areas",
    "local_hotspots",
    "run_analysis",
    "stacking_scores",
]
