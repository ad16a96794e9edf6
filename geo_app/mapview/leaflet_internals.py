"""The one place the map's scripts rely on Leaflet internals (Leaflet 1.9.3, pinned).

``tests/test_dependency_adapters.py`` reads the pinned ``leaflet.js`` and fails,
naming the property, when a Leaflet update no longer has it.
"""

from __future__ import annotations

__all__ = ["ZOOM_ANIMATING"]

#: Private map property that is true while Leaflet animates a zoom; a fit made then
#: is undone when the animation ends. A JavaScript expression on ``map``.
ZOOM_ANIMATING = "map._animatingZoom"
