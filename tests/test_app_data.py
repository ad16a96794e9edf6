"""The app on real CBS data: fetch from (fake) CBS/PDOK with progress, pick it, stale banner.

CBS and PDOK are local servers that speak their real protocols (``fake_cbs``,
``fake_pdok``) serving the real KWB 2024 figures and geometry (``../shared`` or the fixture).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "geo_app" / "app.py")

pytestmark = pytest.mark.real_data


@pytest.fixture(autouse=True)
def _fresh_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def _fetch(at: AppTest, code: str) -> AppTest:
    form = at.sidebar
    form.text_input(key="fetch_code").input(code)
    form.selectbox(key="fetch_year").set_value(2024)
    form.button(key="fetch_submit").click()
    return at.run()


def test_fetch_in_app_then_shows_the_gemeente(cbs_server, pdok_server):
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert at.sidebar.selectbox(key="w_gm").options == ["Stapeldam (fictief)"]
    _fetch(at, "GM0622")
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    # After the fetch the app reruns on the fetched gemeente, no demo notice.
    assert at.sidebar.selectbox(key="w_gm").value == "GM0622"
    assert "Vlaardingen" in at.sidebar.selectbox(key="w_gm").options[0]
    assert not any("Fictieve voorbeelddata" in w.value for w in at.warning)
    assert at.query_params["gm"] == "GM0622"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Gebieden"] == "40"

    # The source is named in the about tab.
    at.query_params["tab"] = "over"
    about = AppTest.from_file(APP, default_timeout=120)
    for key, value in at.query_params.items():
        about.query_params[key] = value
    about.run()
    body = "\n".join(m.value for m in about.markdown)
    assert "85984NED" in body


def test_bad_code_and_unreachable_cbs_give_dutch_errors(monkeypatch):
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    _fetch(at, "Dordrecht")
    assert [e.value for e in at.error] == ["Geef een gemeentecode als GM0505 (GM en vier cijfers)."]
    monkeypatch.setenv("STAPELKAART_HTTP_RETRIES", "1")
    monkeypatch.setenv("STAPELKAART_HTTP_BACKOFF", "0.01")
    _fetch(at, "GM0622")  # the session fixture points CBS at a closed local port
    assert not at.exception
    assert len(at.error) == 1 and "CBS" in at.error[0].value
    assert "Traceback" not in at.error[0].value
    # The app still shows the demo.
    assert any("Fictieve voorbeelddata" in w.value for w in at.warning)


def test_stale_cache_shows_a_banner_with_its_age(cbs_server, pdok_server, monkeypatch):
    from fake_cbs import Fault

    import cbs_ingest

    cbs_ingest.load(2024, ["GM0622"])
    # The cached copy is now too old, and CBS answers 503 to everything.
    monkeypatch.setenv("STAPELKAART_CACHE_MAX_AGE_DAYS", "0")
    cbs_server.faults.append(Fault(match="/", kind="503", times=1000))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["gm"] = "GM0622"
    at.query_params["year"] = "2024"
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    stale = [w.value for w in at.warning if "niet bereikbaar" in w.value]
    assert len(stale) == 1 and "geleden" in stale[0]
