"""The selected-area outline and the English map texts."""

from __future__ import annotations

import folium
import pytest

from geo_app import mapview


@pytest.fixture(scope="module")
def geometry(demo_frames):
    return mapview.prepare_geometry(demo_frames["buurt"])


def _geojson_children(group: folium.FeatureGroup) -> list[folium.GeoJson]:
    return [c for c in group._children.values() if isinstance(c, folium.GeoJson)]


def test_selection_layer_outlines_only_the_selected_area(geometry):
    code = geometry["code"].iloc[3]
    group = mapview.selection_layer(geometry, [code, "BU00000000"])
    layers = _geojson_children(group)
    assert len(layers) == 2  # white casing under the coloured line
    for layer in layers:
        features = layer.data["features"]
        assert [f["properties"]["code"] for f in features] == [code]
    styles = [layer.style_function(layers[0].data["features"][0]) for layer in layers]
    assert styles[1]["color"] == mapview.SELECTED_COLOUR != "#000000"
    assert styles[0]["weight"] > styles[1]["weight"]
    assert all(s["fill"] is False for s in styles)


def test_selection_layer_is_empty_without_selection(geometry):
    assert _geojson_children(mapview.selection_layer(geometry, [])) == []
    assert _geojson_children(mapview.selection_layer(geometry, [None])) == []


def test_selected_label_adds_a_legend_row_and_english_texts_replace_dutch(geometry):
    values = dict.fromkeys(geometry["code"], 1.0)
    dutch = mapview.build_map(geometry, values, basemap="none").get_root().render()
    english = (
        mapview.build_map(
            geometry,
            values,
            basemap="none",
            wijken=geometry,
            selected_label="Selected area",
            texts=mapview.map_texts("en"),
        )
        .get_root()
        .render()
    )
    row = "stapel-swatch stapel-selected"
    assert row not in dutch
    assert "Selected area" in english and row in english
    assert "no data / suppressed" in english and "geen gegevens" not in english
    assert "Wijkgrens" not in english


def test_unit_after_the_legend_title_follows_the_language(geometry):
    values = dict.fromkeys(geometry["code"], 12.0)
    kwargs = {"title": "Wmo", "unit": "per_1000", "basemap": "none"}
    dutch = mapview.build_map(geometry, values, **kwargs).get_root().render()
    english = mapview.build_map(geometry, values, texts=mapview.map_texts("en"), **kwargs)
    english_html = english.get_root().render()
    assert "Wmo (per 1.000 inwoners)" in dutch
    assert "Wmo (per 1,000 inhabitants)" in english_html and "inwoners" not in english_html
