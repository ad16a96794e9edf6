"""Optionally import the app's modules in a background thread once the server runs.

Streamlit runs ``app.py`` only when the first browser connects, and that first
run used to spend seconds importing geopandas, folium, scipy, scikit-learn,
esda/libpysal and mapclassify before it could draw anything. The launcher
(:mod:`geo_app.cli.serve`) calls :func:`start` before it starts the server; the
thread waits until the server runs (importing holds the interpreter lock and
would slow the server's own start), then imports while the browser loads the
page, in two stages:

1. :data:`FIRST`: what the app imports at the top and needs for the first map
   (pandas, geopandas, folium, the project's packages);
2. :data:`REST`: what clustering, hotspots and Fisher-Jenks classes need
   (scipy.stats, scikit-learn, esda, libpysal, mapclassify).

Importing one package from two threads at once can fail half-way (seen here:
``cannot import name 'clone' from partially initialized module 'sklearn.base'``),
so code that imports these modules calls :func:`wait` first: ``app.py`` waits
for stage 1 before its imports, the full analysis and Fisher-Jenks for stage 2.
Without a preload thread (plain ``streamlit run``, tests) :func:`wait` returns
at once.

Only modules that need no Streamlit session are imported here: nothing that
declares ``st.cache_*`` functions or a custom component. ``streamlit_folium``
itself stays out (a component declared from this thread is not served: its
iframe gets a 404); its dependencies are in stage 1. A failed import is ignored:
the app imports the module itself and reports the error there.

Preloading is off unless ``STAPELKAART_PRELOAD=1``: on the 2-core machine of
``docs/performance.md`` it did not make the first map come sooner (Chromium and
the app's first run need both cores at that moment; the import thread only
competes with them). It may help on a machine with more cores;
``python -m bench.browser`` measures both ways in one run.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import threading
import time

__all__ = ["PRELOAD_ENV", "FIRST", "REST", "MODULES", "enabled", "start", "wait"]

PRELOAD_ENV = "STAPELKAART_PRELOAD"

#: Stage 1: the app's own imports, needed before the first map.
FIRST: tuple[str, ...] = (
    "packaging.version",
    "pandas",
    "geopandas",
    "shapely",
    "pyarrow.parquet",
    "folium",
    "folium.plugins",
    "bs4",
    "cbs_ingest",
    "layers",
    "layers.export",
    "models",
    "geo_app.mapview",
)

#: Stage 2: clustering, hotspots, Fisher-Jenks classes.
REST: tuple[str, ...] = (
    "scipy.stats",
    "scipy.optimize",
    "sklearn.cluster",
    "sklearn.metrics",
    "sklearn.mixture",
    "sklearn.preprocessing",
    "libpysal.graph",
    "esda",
    "mapclassify",
)

MODULES: tuple[str, ...] = FIRST + REST

#: Set when a stage is done; absent when no preload thread was started.
_DONE: dict[str, threading.Event] = {}

_LOG = logging.getLogger("stapelkaart.preload")


def enabled() -> bool:
    """Whether preloading is on (``STAPELKAART_PRELOAD=1``; off by default)."""
    return os.environ.get(PRELOAD_ENV, "0").strip() == "1"


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


def _run(stages: dict[str, tuple[str, ...]], wait: float) -> None:
    # Importing competes with the server's own start for the interpreter lock:
    # let the server start first, then import while the browser loads the page.
    try:
        if wait > 0:
            _wait_for_server(wait)
        started = time.perf_counter()
        for stage, modules in stages.items():
            for name in modules:
                # The app's own import of the module reports any error properly.
                with contextlib.suppress(Exception):
                    importlib.import_module(name)
            _DONE[stage].set()
        _LOG.debug("preloaded in %.2f s", time.perf_counter() - started)
    finally:
        for event in _DONE.values():  # never leave anyone waiting
            event.set()


def start(
    first: tuple[str, ...] = FIRST, rest: tuple[str, ...] = REST, *, wait: float = 20.0
) -> threading.Thread | None:
    """Start importing in a daemon thread; ``None`` when switched off or already started.

    Parameters
    ----------
    first, rest
        Module names of stage 1 and stage 2, imported in this order.
    wait
        Seconds to wait at most for the Streamlit server to run before
        importing (``0``: import at once).
    """
    if not enabled() or _DONE:
        return None
    _DONE.update(first=threading.Event(), rest=threading.Event())
    stages = {"first": first, "rest": rest}
    thread = threading.Thread(
        target=_run, args=(stages, wait), name="stapelkaart-preload", daemon=True
    )
    thread.start()
    return thread


def wait(stage: str = "rest", timeout: float = 120.0) -> None:
    """Block until preload ``stage`` (``"first"`` or ``"rest"``) is done.

    Returns at once when no preload thread was started, when called from the
    preload thread itself, or after ``timeout`` seconds.
    """
    event = _DONE.get(stage)
    if event is None or threading.current_thread().name == "stapelkaart-preload":
        return
    event.wait(timeout)
