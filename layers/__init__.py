"""Indicator layers: pure functions on area GeoDataFrames."""

from __future__ import annotations

__all__: list[str] = []
