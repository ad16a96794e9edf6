"""The app's gemeente picker lists what the area store holds and loads it offline.

Ingest through one CBS host, then point the app at hosts that are down (another
``STAPELKAART_CBS_URL``, no PDOK): every stored gemeente opens from the store.
When a stored gemeente cannot be loaded, the picker shows the demo gemeente the
map falls back to, never the gemeente that failed.
"""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from test_app_pages import run_app

import cbs_ingest
from cbs_ingest import store

pytestmark = pytest.mark.real_data


@pytest.fixture
def stored(cbs_server, cbs_gpkg, monkeypatch):
    """GM0606 and GM0622 in the store; then CBS and PDOK at a closed port."""
    cbs_ingest.load(2024, ["GM0606", "GM0622"], geometry_file=cbs_gpkg)
    monkeypatch.setenv("STAPELKAART_CBS_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("STAPELKAART_PDOK_URL", "http://127.0.0.1:9")
    fetched = len(cbs_server.log)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()
    assert len(cbs_server.log) == fetched, "the app asked CBS instead of the area store"


def _run(**params: str) -> AppTest:
    return run_app(timeout=120, **params)  # the store's real data loads slower than the demo


def _title(at: AppTest) -> str:
    """The page title (``st.html``): the app's name, the gemeente shown and the year."""
    bodies = [e.proto.body for e in at.get("html")]
    return next(b for b in bodies if "sk-title" in b)


def test_picker_lists_the_store_and_each_gemeente_opens_offline(stored):
    at = _run(gm="GM0606", year="2024")
    assert not at.error, [e.value for e in at.error]
    picker = at.sidebar.selectbox(key="w_gm")
    assert picker.options == ["Schiedam", "Vlaardingen", "Stapeldam (fictief)"]
    assert picker.value == "GM0606" and "· Schiedam" in _title(at)

    picker.set_value("GM0622").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.sidebar.selectbox(key="w_gm").value == "GM0622"
    assert "· Vlaardingen" in _title(at)


def test_a_gemeente_that_fails_to_load_is_not_shown_in_the_picker(stored):
    (path,) = (store.data_dir() / "store" / "2024").glob("areas-*.parquet")
    good = path.read_bytes()
    path.write_bytes(good[:-200])  # damaged, and CBS is down
    at = _run(gm="GM0606", year="2024")
    assert at.error and "niet bereikbaar" in at.error[0].value
    assert "opgeslagen kopie is beschadigd" in at.error[0].value
    assert at.sidebar.selectbox(key="w_gm").value == "GM9999"
    assert "· Stapeldam" in _title(at) and "Schiedam" not in _title(at)

    # The message stays until another gemeente is picked (the run above reran once to
    # complete the analysis); a gemeente that loads clears it.
    path.write_bytes(good)
    at.sidebar.selectbox(key="w_gm").set_value("GM0622").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "· Vlaardingen" in _title(at)
