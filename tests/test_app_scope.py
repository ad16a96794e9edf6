"""Comparison scope and national reference in the app, on a whole-country ingest of real data.

The fake CBS server serves KWB 2024 from ``../shared/data``; one whole-country
ingest fills the cache, then ``AppTest`` opens Dordrecht (GM0505) at wijk level.
National figures (all 342 gemeenten, the Dutch share of rented dwellings) need the
national data, so that test skips without ``../shared``.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import cbs_ingest

APP = str(Path(__file__).resolve().parents[1] / "geo_app" / "app.py")
WIJK = "WK050505"


@pytest.fixture
def whole_country(shared_data, cbs_server, cbs_gpkg):
    cbs_ingest.load(2024, None, geometry_file=cbs_gpkg)
    fetched = len(_kwb_requests(cbs_server.log))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()
    # the profile may ask CBS for the series over the years (not served here); never for KWB
    assert len(_kwb_requests(cbs_server.log)) == fetched, (
        "the app fetched from CBS instead of using the cache"
    )


def _kwb_requests(log: list[str]) -> list[str]:
    from cbs_ingest.series_tables import SERIES_TABLES

    return [p for p in log if not any(f"/{t}" in p for t in SERIES_TABLES)]


def run_app(**params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def _theme_percentiles(at: AppTest) -> list[float]:
    return list(at.dataframe[0].value["percentiel"])


@pytest.mark.shared_data
def test_national_and_selection_scopes_are_offered_and_used(whole_country):
    base = {"gm": "GM0505", "year": "2024", "level": "wijk", "tab": "profiel", "area": WIJK}
    at = run_app(**base)
    assert at.sidebar.radio(key="w_scope").options == [
        "Gebieden in de gemeente",
        "Gebieden in een set gemeenten",
        "Heel Nederland",
    ]
    within = _theme_percentiles(at)

    # National reference beside the gemeente's own figures.
    indicators = at.dataframe[1].value
    assert "national" in indicators.columns
    national = dict(zip(indicators["indicator"], indicators["national"], strict=True))
    rental = float(national["Huurwoningen (%)"].replace(",", "."))
    assert 40 < rental < 45, rental  # CBS: about 42% of Dutch dwellings are rented
    captions = "\n".join(c.value for c in at.caption)
    assert "alle 342 gemeenten" in captions

    at = run_app(**base, scope="national")
    assert at.query_params["scope"] == "national"
    nationally = _theme_percentiles(at)
    assert nationally != within  # percentiles are taken among all wijken of the country
    assert "vergeleken met heel Nederland" in "\n".join(c.value for c in at.caption)

    at = run_app(**base, scope="selection", set="GM0590")
    assert at.sidebar.multiselect(key="w_set").value == ["GM0590"]
    in_set = _theme_percentiles(at)
    assert all(math.isnan(p) or 0 <= p <= 100 for p in in_set if p is not None)
    assert in_set != within


def test_demo_offers_only_the_gemeente_scope_and_says_why():
    st.cache_data.clear()
    st.cache_resource.clear()
    at = run_app(scope="national")
    assert at.sidebar.radio(key="w_scope").options == ["Gebieden in de gemeente"]
    assert at.query_params.get("scope") is None  # reset to the default
    captions = "\n".join(c.value for c in at.sidebar.caption)
    assert "Stapeldam is fictief" in captions
