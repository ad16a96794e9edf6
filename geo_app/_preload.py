"""Import the app's heavy modules in a background thread once the server runs.

Streamlit runs ``app.py`` only when the first browser connects, and that first
run used to spend seconds importing geopandas, folium, scipy, scikit-learn,
esda/libpysal and mapclassify before it could draw anything. The launcher
(:mod:`geo_app._serve`) calls :func:`start` before it starts the server; the
thread waits until the server runs (importing holds the interpreter lock and
would slow the server's own start), then imports while the browser loads the
page. When the app's first run imports a module the thread is still
importing, Python's import lock makes it wait for that one import (a module is
never imported twice).

Only modules that need no Streamlit session are imported here: nothing that
declares ``st.cache_*`` functions or a custom component. ``streamlit_folium``
itself stays out (a component declared from this thread is not served: its
iframe gets a 404); its heavy dependencies ``folium.plugins`` and ``bs4`` are
in. A failed import is ignored: the app imports the module itself and reports
the error there. Set ``STAPELKAART_PRELOAD=0`` to switch this off (the
benchmarks use it to measure the difference).
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import threading
import time

__all__ = ["PRELOAD_ENV", "MODULES", "enabled", "start"]

PRELOAD_ENV = "STAPELKAART_PRELOAD"

#: In the order the app needs them: the map first, then the analysis.
MODULES: tuple[str, ...] = (
    "pandas",
    "geopandas",
    "pyarrow.parquet",
    "folium",
    "folium.plugins",
    "bs4",
    "scipy.stats",
    "mapclassify",
    "cbs_ingest",
    "geo_app.mapview",
    "layers",
    "sklearn.cluster",
    "sklearn.metrics",
    "sklearn.mixture",
    "libpysal.graph",
    "esda",
    "models",
    "layers.export",
)

_LOG = logging.getLogger("stapelkaart.preload")


def enabled() -> bool:
    """Whether preloading is on (``STAPELKAART_PRELOAD`` is not ``0``)."""
    return os.environ.get(PRELOAD_ENV, "1").strip() != "0"


def _server_running() -> bool:
    from streamlit.runtime import Runtime, RuntimeState

    if not Runtime.exists():
        return False
    return Runtime.instance().state in (
        RuntimeState.NO_SESSIONS_CONNECTED,
        RuntimeState.ONE_OR_MORE_SESSIONS_CONNECTED,
    )


def _wait_for_server(timeout: float) -> None:
    """Return once the Streamlit server runs (or after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if _server_running():
                return
        time.sleep(0.02)


def _run(modules: tuple[str, ...], wait: float) -> None:
    # Importing competes with the server's own start for the interpreter lock:
    # let the server start first, then import while the browser loads the page.
    if wait > 0:
        _wait_for_server(wait)
    started = time.perf_counter()
    for name in modules:
        # The app's own import of the module reports any error properly.
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    _LOG.debug("preloaded %d modules in %.2f s", len(modules), time.perf_counter() - started)


def start(modules: tuple[str, ...] = MODULES, *, wait: float = 20.0) -> threading.Thread | None:
    """Start importing ``modules`` in a daemon thread; ``None`` when switched off.

    Parameters
    ----------
    modules
        Module names, imported in this order.
    wait
        Seconds to wait at most for the Streamlit server to run before
        importing (``0``: import at once).
    """
    if not enabled():
        return None
    thread = threading.Thread(
        target=_run, args=(modules, wait), name="stapelkaart-preload", daemon=True
    )
    thread.start()
    return thread
