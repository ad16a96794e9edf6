"""Who may see what: the roles configuration and its use in the app (docs/trust.md section 3)."""

from __future__ import annotations

__all__ = ["resolve", "roles"]
