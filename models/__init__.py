"""Models: stacking scores, clustering typology and spatial hotspots."""

from __future__ import annotations

__all__: list[str] = []
