"""The first map of a session is drawn from the stacking scores alone, then the rest follows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from test_app_launch import _modules_after

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "geo_app" / "app.py")
HEAVY = ("sklearn", "esda", "libpysal", "mapclassify", "scipy.stats")

_FIRST = """
import json, sys
HEAVY = json.loads(sys.argv[1])
from geo_app.session import analysis
from geo_app.views.sidebar import analysis_options
values = {"profile": "default", "threshold": 80, "scope": "gemeente", "method": "kmeans",
          "k": 0, "alpha": 0.05}
table, result = analysis.analyse(2024, "GM9999", "buurt", analysis_options(values),
                                 ("GM9999",), stage="first")
print(json.dumps({
    "heavy": [m for m in HEAVY if m in sys.modules],
    "scores": table["stacking_score"].round(9).tolist(),
    "flags": table["stacking_flag"].astype(bool).tolist(),
    "hotspot": sorted(set(table["hotspot"])),
    "clusters": int(table["cluster"].notna().sum()),
    "stability": sorted(set(table["stability_class"])),
}))
"""


@pytest.fixture(autouse=True)
def _fresh_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield


def test_first_phase_needs_no_heavy_modules_and_gives_the_same_scores():
    done = subprocess.run(
        [sys.executable, "-c", _FIRST, json.dumps(HEAVY)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    first = json.loads(done.stdout.strip().splitlines()[-1])
    assert first["heavy"] == []
    assert first["hotspot"] == ["not computed"] and first["clusters"] == 0
    assert first["stability"] == ["not computed"]  # the rank uncertainty follows the map

    from cbs_ingest import load
    from models import run_analysis

    full = run_analysis(load(2024, ["GM9999"]).frames["buurt"], scope="gemeente").table
    np.testing.assert_array_equal(
        np.array(first["scores"], dtype=float), full["stacking_score"].round(9).to_numpy(float)
    )
    assert first["flags"] == full["stacking_flag"].astype(bool).tolist()


def test_a_new_session_ends_with_the_whole_analysis():
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    layer = at.sidebar.selectbox(key="w_layer")
    assert layer.value == "stacking_score"
    assert {"Clustertypologie", "Hotspots"} <= set(layer.options)


def test_a_link_to_the_hotspot_layer_keeps_its_layer():
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["layer"] = "hotspot"
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.sidebar.selectbox(key="w_layer").value == "hotspot"


def test_the_app_modules_leave_chart_libraries_for_the_tabs_that_draw_charts():
    """altair (about 0.2 s to import) waits for the profile or compare tab."""
    loaded = _modules_after("from geo_app.views import compare, map, profile, sidebar, table")
    assert "geo_app.views.profile" in loaded
    assert "altair" not in loaded


@pytest.fixture
def clock(monkeypatch):
    """The analysis store with a clock the test moves, and a record of each computation."""
    from cachetools import TTLCache

    from geo_app.session import analysis

    now = [0.0]
    store = analysis._Store(
        results=TTLCache(analysis.MAX_ENTRIES, analysis.TTL_SECONDS, timer=lambda: now[0])
    )
    monkeypatch.setattr(analysis, "_store", lambda: store)
    stages: list[str] = []
    real = analysis._run

    def run(args, frame, extra, *, full):
        stages.append("full" if full else "first")
        return real(args, frame, extra, full=full)

    monkeypatch.setattr(analysis, "_run", run)
    return now, stages


def test_the_first_map_fast_path_comes_back_after_the_cache_expires(clock):
    now, stages = clock
    AppTest.from_file(APP, default_timeout=120).run()
    assert stages == ["first", "full"]  # a new session: the stacking map first
    stages.clear()
    AppTest.from_file(APP, default_timeout=120).run()
    assert stages == []  # the next session uses the cached whole analysis at once
    now[0] += 3601  # the whole analysis expires
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert stages == ["first", "full"]  # the fast first map again, not a silent full run
    assert {"Clustertypologie", "Hotspots"} <= set(at.sidebar.selectbox(key="w_layer").options)


def test_is_cached_follows_eviction_and_a_full_result_serves_the_first_stage(clock, monkeypatch):
    from cachetools import TTLCache

    from geo_app.session import analysis
    from geo_app.views.sidebar import analysis_options

    _, stages = clock
    small = analysis._Store(results=TTLCache(2, 3600))  # room for two results
    monkeypatch.setattr(analysis, "_store", lambda: small)
    values = {"profile": "default", "threshold": 80, "scope": "gemeente", "method": "kmeans",
              "k": 0, "alpha": 0.05}  # fmt: skip
    args = (2024, "GM9999", "buurt", analysis_options(values), ("GM9999",))
    table, _ = analysis.analyse(*args, stage="full")
    assert analysis.is_cached(*args, stage="full")
    again, _ = analysis.analyse(*args, stage="first")  # the full result, not a new run
    assert again is table and stages == ["full"]
    for threshold in (70, 75):  # two other analyses push the first one out
        other = analysis_options({**values, "threshold": threshold})
        analysis.analyse(2024, "GM9999", "buurt", other, ("GM9999",), stage="first")
    assert not analysis.is_cached(*args, stage="full")
    first, _ = analysis.analyse(*args, stage="first")
    assert stages[-1] == "first" and set(first["hotspot"]) == {"not computed"}
    with pytest.raises(ValueError, match="unknown analysis stage"):
        analysis.analyse(*args, stage="half")
