"""The app's one cached entry point to the stacking analysis, in two stages.

``analyse(..., stage="first")`` computes the stacking scores only (no
scikit-learn, esda or libpysal: what the first map of a session needs);
``stage="full"`` adds clusters and hotspots. Both live in one store, so
:func:`is_cached` answers from the same entries that eviction removes: when a
full result has expired or been pushed out, a new session takes the fast first
stage again instead of waiting for the whole analysis before its first map.

The store sits in ``st.cache_resource`` (one per process, cleared with the
other Streamlit caches); inside it, a ``cachetools.TTLCache`` holds the results
for an hour, at most :data:`MAX_ENTRIES` of them.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import geopandas as gpd
import streamlit as st
from cachetools import TTLCache

from geo_app.session import data
from layers import Profile, Threshold, compute_indicators, get_profile
from models import build_weights, run_analysis

__all__ = ["MAX_ENTRIES", "TTL_SECONDS", "Stage", "analyse", "is_cached"]

#: ``first``: stacking scores only; ``full``: with clusters and hotspots.
Stage = Literal["first", "full"]
STAGES: tuple[Stage, ...] = ("first", "full")

MAX_ENTRIES = 64
TTL_SECONDS = 3600


@dataclass
class _Store:
    """Analysis results by (arguments, stage), and one lock per key being computed."""

    results: TTLCache = field(default_factory=lambda: TTLCache(MAX_ENTRIES, TTL_SECONDS))
    lock: threading.Lock = field(default_factory=threading.Lock)
    running: dict[Hashable, threading.Lock] = field(default_factory=dict)


@st.cache_resource(show_spinner=False)
def _store() -> _Store:
    return _Store()


def _key(args: tuple[Any, ...], stage: Stage) -> tuple[Any, ...]:
    if stage not in STAGES:
        raise ValueError(f"unknown analysis stage {stage!r}; known: {', '.join(STAGES)}")
    return (*args, stage)


def is_cached(
    year: int,
    code: str,
    level: str,
    options: tuple[tuple[str, Any], ...],
    request: tuple[str, ...] | None = None,
    *,
    stage: Stage = "full",
    upload_key: str = "",
) -> bool:
    """Whether :func:`analyse` would answer these arguments from the store at once."""
    store = _store()
    key = _key((year, code, level, options, request, upload_key), stage)
    with store.lock:
        return key in store.results


def analyse(
    year: int,
    code: str,
    level: str,
    options: tuple[tuple[str, Any], ...],
    request: tuple[str, ...] | None = None,
    *,
    stage: Stage = "full",
    upload_key: str = "",
    frame: gpd.GeoDataFrame | None = None,
    extra: tuple[Any, ...] = (),
) -> tuple[gpd.GeoDataFrame, Any]:
    """Run the stacking analysis on one level of a gemeente-year, cached.

    Parameters
    ----------
    year, code, level, request
        Which data.
    options
        Analysis settings as sorted ``(name, value)`` pairs: ``profile``,
        ``threshold``, ``cluster_method``, ``k`` (0: choose by silhouette), ``alpha``,
        ``scope`` (``gemeente``, ``selection`` or ``national``) and ``members`` (the
        other gemeenten of a ``selection``). Stacking percentiles are taken within
        the scope's reference areas (:func:`data.reference_frame`); clusters and
        hotspots stay within the gemeente.
    stage
        ``"full"`` (default) or ``"first"`` (stacking scores only; a cached full
        result is returned instead when there is one).
    upload_key
        Fingerprint of joined own data ('' for none); part of the cache key.
    frame, extra
        The frame with own data joined and its extra indicators (not part of the
        key: ``upload_key`` stands for them).

    Returns
    -------
    table : GeoDataFrame
        The analysis table plus every other indicator and the population.
    result : models.AnalysisResult
        The analysis result (settings, notes, sub-results).
    """
    args = (year, code, level, options, request, upload_key)
    store = _store()
    key = _key(args, stage)
    keys = [key] if stage == "full" else [key, _key(args, "full")]
    with store.lock:
        for candidate in reversed(keys):  # the full result serves the first stage too
            if candidate in store.results:
                return store.results[candidate]
        running = store.running.setdefault(key, threading.Lock())
    with running:  # one computation per key; others wait for it
        with store.lock:
            if key in store.results:
                return store.results[key]
        try:
            value = _run(args, frame, extra, full=stage == "full")
        finally:
            with store.lock:
                store.running.pop(key, None)
        with store.lock:
            store.results[key] = value
    return value


def _profile(key: str, threshold: int) -> Profile:
    """The chosen profile with the app's percentile threshold on its percentile themes."""
    prof = get_profile(key)
    themes = tuple(
        replace(t, threshold=Threshold("percentile", float(threshold)))
        if t.threshold.kind == "percentile"
        else t
        for t in prof.themes
    )
    return replace(prof, themes=themes)


@st.cache_resource(ttl=TTL_SECONDS, max_entries=16, show_spinner=False)
def _weights(year: int, code: str, level: str, request: tuple[str, ...] | None) -> Any:
    return build_weights(data.load(year, code, request).frames[level].geometry)


def _run(
    args: tuple[Any, ...],
    frame: gpd.GeoDataFrame | None,
    extra: tuple[Any, ...],
    *,
    full: bool,
) -> tuple[gpd.GeoDataFrame, Any]:
    year, code, level, options, request, _ = args
    opts = dict(options)
    own = frame is not None
    if frame is None:
        frame = data.load(year, code, request).frames[level]
    scope = opts.get("scope", "gemeente")
    reference = data.reference_frame(year, code, level, scope, tuple(opts.get("members", ())))
    result = run_analysis(
        frame,
        profile=_profile(opts["profile"], opts["threshold"]),
        scope="gemeente" if reference is None else "national",
        reference=reference,
        extra_indicators=extra,
        cluster_method=opts["cluster_method"],
        n_clusters=opts["k"] or None,
        alpha=float(opts["alpha"]),
        weights=(_weights(year, code, level, request) if not own and full else None),
        clustering=full,
        permutations=999 if full else 0,
        resamples=200 if full else 0,  # rank interval and stability: after the first map
    )
    table = result.table
    values = compute_indicators(frame, extra=extra)
    missing = [c for c in values.columns if c not in table.columns]
    table = table.join(values[missing])
    if "population" not in table.columns:
        table = table.assign(population=frame["population"].to_numpy())
    return table, result
