from __future__ import annotations

import re

import folium
import pytest

from cbs_ingest.errors import InputError
from geo_app.mapview.basemap import (
    BASEMAP_UNAVAILABLE_NL,
    BASEMAPS,
    DEFAULT_BASEMAP,
    NO_BASEMAP,
    add_basemap,
    basemap_options,
)


def test_default_is_pdok_brt_achtergrondkaart_grey_in_web_mercator():
    assert DEFAULT_BASEMAP == "pdok-grijs"
    pdok = BASEMAPS[DEFAULT_BASEMAP]
    assert pdok.url == (
        "https://service.pdok.nl/brt/achtergrondkaart/wmts/v2_0/grijs/EPSG:3857/{z}/{x}/{y}.png"
    )
    assert "Kadaster" in pdok.attribution
    assert BASEMAPS["pdok-pastel"].url.replace("pastel", "grijs") == pdok.url


def test_options_list_every_basemap_and_none_last_in_dutch():
    options = basemap_options()
    assert list(options)[-1] == NO_BASEMAP
    assert set(options) == {*BASEMAPS, NO_BASEMAP}
    assert options[NO_BASEMAP] == "Geen achtergrondkaart"


@pytest.mark.parametrize("key", list(BASEMAPS))
def test_each_basemap_adds_one_tile_layer_and_the_unavailable_note(key):
    fmap = folium.Map(tiles=None)
    add_basemap(fmap, key)
    html = fmap.get_root().render()
    assert len(re.findall(r"L\.tileLayer\(", html)) == 1
    assert BASEMAP_UNAVAILABLE_NL in html
    assert '"tileerror"' in html


@pytest.mark.parametrize("key", [None, NO_BASEMAP])
def test_no_basemap_adds_no_tiles(key):
    fmap = folium.Map(tiles=None)
    add_basemap(fmap, key)
    html = fmap.get_root().render()
    assert "L.tileLayer(" not in html
    assert BASEMAP_UNAVAILABLE_NL not in html


def test_unknown_basemap_is_a_dutch_input_error():
    with pytest.raises(InputError) as info:
        add_basemap(folium.Map(tiles=None), "google-satellite")
    assert "Onbekende achtergrondkaart" in info.value.nl
