"""Benchmarks: scripts that print figures and ratios measured in one run (not timed tests)."""

from __future__ import annotations

__all__: list[str] = []
