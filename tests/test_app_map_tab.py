"""The Kaart tab: what reaches ``st_folium``, the demo attribution and the side panel per role."""

from __future__ import annotations

import re

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from test_app_wiring import run_app, texts

from geo_app.access.roles import ENV_VAR
from geo_app.session.i18n import HOTSPOT_LABELS, cluster_label_en
from geo_app.views import map as _page_map

AREA = "BU99990103"  # Zwanenkade, an ordinary demo buurt


@pytest.fixture(autouse=True)
def _fresh(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield


@pytest.fixture
def folium_calls(monkeypatch):
    """Record every ``st_folium`` call of the map tab (map HTML and keyword arguments)."""
    calls: list[dict] = []
    real = _page_map.st_folium

    def spy(fig, **kwargs):
        calls.append({"html": fig.get_root().render(), "kwargs": kwargs})
        return real(fig, **kwargs)

    monkeypatch.setattr(_page_map, "st_folium", spy)
    return calls


def _run(monkeypatch, tmp_path, local: str | None = None, **params: str) -> AppTest:
    return run_app(tmp_path, monkeypatch, local, record_warnings=True, **params)


def test_map_fills_its_column_without_deprecated_arguments(monkeypatch, tmp_path, folium_calls):
    at = _run(monkeypatch, tmp_path)
    assert folium_calls, "the map tab did not draw a map"
    kwargs = folium_calls[-1]["kwargs"]
    assert "use_container_width" not in kwargs
    assert "width" in kwargs and kwargs["width"] is None  # streamlit-folium: container width
    assert not [w for w in at.caught_warnings if "use_container_width" in w]


def test_demo_map_credits_fictitious_data_not_cbs(monkeypatch, tmp_path, folium_calls):
    _run(monkeypatch, tmp_path, basemap="pdok_grijs")
    html = folium_calls[-1]["html"]
    assert "Fictieve voorbeelddata (Stapelkaart)" in html
    assert "Bron: CBS" not in html
    assert "Kadaster" in html  # the PDOK basemap keeps its own credit
    folium_calls.clear()
    _run(monkeypatch, tmp_path, basemap="none", lang="en")
    html = folium_calls[-1]["html"]
    assert "Fictitious example data (Stapelkaart)" in html and "Kadaster" not in html


def test_side_panel_shows_the_analysis_lines_a_role_may_see(monkeypatch, tmp_path):
    full = texts(_run(monkeypatch, tmp_path, local="gemeente", area=AREA))
    assert "Zwanenkade" in full
    for line in ("Stapelingsscore:", "Hoge thema's:", "Clusterprofiel:", "Ruimtelijk patroon:"):
        assert line in full, line
    pattern = next(line for line in full.splitlines() if "Ruimtelijk patroon:" in line)
    assert any(labels["nl"] in pattern for labels in HOTSPOT_LABELS.values()), pattern
    assert "Hotspot: hotspot" not in full
    at = _run(monkeypatch, tmp_path, local="smal", area=AREA, layer="youth_care_pct")
    narrow = texts(at)
    assert "Zwanenkade" in narrow  # the area itself is shown
    for line in ("Stapelingsscore:", "Hoge thema's:", "Clusterprofiel:", "Ruimtelijk patroon:"):
        assert line not in narrow, line
    assert "**–**" not in narrow and ": –" not in narrow
    assert "Met stapeling" not in [m.label for m in at.metric]


def test_english_mode_renders_cluster_labels_and_numbers_in_english(
    monkeypatch, tmp_path, folium_calls
):
    at = _run(monkeypatch, tmp_path, area=AREA)
    dutch = texts(at)
    line = next(x for x in dutch.splitlines() if "Clusterprofiel:" in x)
    label_nl = line.split("Clusterprofiel: ", 1)[1].strip()
    score = next(x for x in dutch.splitlines() if "Stapelingsscore:" in x)
    assert "," in score and "." not in score.split("**")[1]  # e.g. **-0,5**
    at = _run(monkeypatch, tmp_path, area=AREA, lang="en")
    english = texts(at)
    assert f"Cluster profile: {cluster_label_en(label_nl)}" in english
    assert label_nl not in english and cluster_label_en(label_nl) != label_nl
    score = next(x for x in english.splitlines() if "Stacking score:" in x)
    assert "." in score.split("**")[1] and "," not in score.split("**")[1]  # e.g. **-0.5**
    # The map of the cluster layer: English legend labels and decimal points in English.
    folium_calls.clear()
    _run(monkeypatch, tmp_path, layer="cluster_label", lang="en")
    html = folium_calls[-1]["html"]
    assert cluster_label_en(label_nl) in html and f'"{label_nl}"' not in html
    folium_calls.clear()
    _run(monkeypatch, tmp_path, layer="pct_rental", lang="en")
    html = folium_calls[-1]["html"]
    assert re.search(r"\d+% – \d+%", html) and "per 1,000" not in html
    folium_calls.clear()
    _run(monkeypatch, tmp_path, layer="wmo_per_1000", lang="en")
    html = folium_calls[-1]["html"]
    assert re.search(r"\d\.\d per 1,000", html) and not re.search(r"\d,\d per 1", html)


def test_empty_table_cells_show_a_dash_not_none(monkeypatch, tmp_path):
    at = _run(monkeypatch, tmp_path, tab="tabel")
    table = at.dataframe[0].value
    assert table.isna().any().any()  # the demo has missing values: Streamlit would say "None"
    assert all(frame.proto.placeholder == "–" for frame in at.dataframe)
    assert not (table.astype(str) == "None").any().any()
