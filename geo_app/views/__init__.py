"""The app's tabs and what they share: sidebar, upload form, profile report, exports.

Not called ``pages``: Streamlit would take a ``pages/`` folder beside ``app.py`` for
its multipage navigation.
"""

from __future__ import annotations

__all__ = [
    "about",
    "compare",
    "export",
    "map",
    "profile",
    "profile_report",
    "sidebar",
    "table",
    "upload",
    "upload_view",
]
