"""The one place that knows where streamlit-folium shows the map.

``st_folium`` draws the map in the iframe of a Streamlit component named
:data:`COMPONENT`, whose document Streamlit serves at :data:`FRAME_PATH` below the
app's base URL. The map loads Leaflet relative to that document
(:func:`from_frame`). Supported: streamlit-folium >=0.25,<0.28 (pyproject.toml);
``tests/test_dependency_adapters.py`` fails, naming the component, when it changes.
"""

from __future__ import annotations

__all__ = ["COMPONENT", "FRAME_PATH", "from_frame"]

#: Name of streamlit-folium's component (also the iframe's title).
COMPONENT = "streamlit_folium.st_folium"
#: Where the component's document lives, below the app's base URL.
FRAME_PATH = f"component/{COMPONENT}/index.html"


def from_frame(path: str) -> str:
    """A URL for ``path`` (below the app's base URL) relative to the map's iframe.

    Relative, so it keeps working when the app runs under a ``server.baseUrlPath``.
    """
    return "../" * FRAME_PATH.count("/") + path.lstrip("/")
