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
from test_app_preload import _modules_after

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "geo_app" / "app.py")
HEAVY = ("sklearn", "esda", "libpysal", "mapclassify", "scipy.stats")

_FIRST = """
import json, sys
HEAVY = json.loads(sys.argv[1])
from geo_app.session import data as _data
from geo_app.views.sidebar import analysis_options
values = {"profile": "default", "threshold": 80, "scope": "gemeente", "method": "kmeans",
          "k": 0, "alpha": 0.05}
table, result = _data.analyse_first(2024, "GM9999", "buurt", analysis_options(values),
                                    ("GM9999",))
print(json.dumps({
    "heavy": [m for m in HEAVY if m in sys.modules],
    "scores": table["stacking_score"].round(9).tolist(),
    "flags": table["stacking_flag"].astype(bool).tolist(),
    "hotspot": sorted(set(table["hotspot"])),
    "clusters": int(table["cluster"].notna().sum()),
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
