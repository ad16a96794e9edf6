"""The one place that uses cbsodata's internals (supported: cbsodata 1.3.x).

cbsodata has no public way to give it a ``requests.Session`` that retries, nor
to fetch one collection of a table whose service document does not list
``UntypedDataSet``. Stapelkaart therefore swaps ``cbsodata.cbsodata3.Session``
for a while and calls ``cbsodata.cbsodata3._download_metadata``. Both names are
checked on import: if cbsodata changes them, importing this module (and so
``cbs_ingest``) fails at once with a message naming them, instead of a
confusing error on the first download. ``tests/test_dependency_adapters.py``
checks the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import cbsodata
import cbsodata.cbsodata3 as _cbs3

__all__ = ["SUPPORTED", "check", "download_collection", "use_session"]

#: The cbsodata versions this adapter is written for (also in pyproject.toml).
SUPPORTED = ">=1.3.5,<1.4"


def check() -> None:
    """Raise ImportError naming what is missing when cbsodata's internals changed."""
    missing = [
        name
        for name in ("Session", "_download_metadata")
        if not hasattr(_cbs3, name) or not callable(getattr(_cbs3, name))
    ]
    if missing or not hasattr(cbsodata, "options"):
        raise ImportError(
            "cbsodata changed: cbsodata.cbsodata3 has no "
            + ", ".join(missing or ["options"])
            + f"; Stapelkaart supports cbsodata {SUPPORTED} (see cbs_ingest/_cbsodata_adapter.py)."
        )


@contextmanager
def use_session(session_class: type, *, use_https: bool) -> Iterator[None]:
    """Let cbsodata build its requests with ``session_class`` (and scheme) for a while.

    cbsodata makes a fresh ``Session`` per page; not thread-safe, so callers hold a lock.
    """
    previous = cbsodata.options.use_https, _cbs3.Session
    cbsodata.options.use_https = use_https
    _cbs3.Session = session_class
    try:
        yield
    finally:
        cbsodata.options.use_https, _cbs3.Session = previous


def download_collection(table_id: str, name: str, **kwargs: Any) -> Any:
    """One collection (``TableInfos``, ``TypedDataSet``, ...) of a table, as cbsodata reads it."""
    return _cbs3._download_metadata(table_id, name, **kwargs)


check()
