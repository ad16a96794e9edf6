"""The project's exceptions and warnings, defined in one place.

Every error carries an English message (for logs and the command line) and a
Dutch one (``nl``) for the app, so no layer has to translate another's errors.
"""

from __future__ import annotations

__all__ = [
    "StapelkaartError",
    "InputError",
    "SourceUnavailableError",
    "SourceChangedError",
    "CacheError",
]


class StapelkaartError(Exception):
    """Base class of all errors Stapelkaart raises on purpose.

    Parameters
    ----------
    message
        One clear English line.
    nl
        The same in Dutch, shown in the app. Defaults to ``message``.
    """

    def __init__(self, message: str, *, nl: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.nl = nl or message


class InputError(StapelkaartError, ValueError):
    """Bad input from the user: an unknown code, a year without a table, a bad file."""


class SourceUnavailableError(StapelkaartError, OSError):
    """A remote source (CBS, PDOK) could not be reached or answered badly."""


class SourceChangedError(SourceUnavailableError):
    """A remote source answered, but not in the shape Stapelkaart expects (e.g. columns gone)."""


class CacheError(StapelkaartError, OSError):
    """The local cache could not be read or written."""
