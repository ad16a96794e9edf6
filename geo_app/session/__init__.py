"""Per-session state of the app: settings and URL, cached data and analysis, own data, texts."""

from __future__ import annotations

__all__ = ["context", "data", "i18n", "own_data", "state"]
