"""Basemaps for the map: PDOK's BRT-Achtergrondkaart first, OpenStreetMap, or none.

The default is PDOK's *BRT-Achtergrondkaart* in grey, the usual background of
Dutch government maps, served as XYZ tiles in Web Mercator (EPSG:3857) from
PDOK's WMTS. Tiles are the only thing the map loads from outside the app; when
they cannot load (a locked-down network, no internet) the choropleth, legend and
tooltips keep working and a small note says the basemap is unavailable.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import folium
from branca.element import MacroElement
from jinja2 import Template

from cbs_ingest.errors import InputError

__all__ = [
    "Basemap",
    "BASEMAPS",
    "DEFAULT_BASEMAP",
    "NO_BASEMAP",
    "BASEMAP_UNAVAILABLE_NL",
    "basemap_options",
    "add_basemap",
]

_PDOK_URL = "https://service.pdok.nl/brt/achtergrondkaart/wmts/v2_0/{variant}/EPSG:3857/{{z}}/{{x}}/{{y}}.png"
_PDOK_ATTRIBUTION = 'Kaartgegevens &copy; <a href="https://www.kadaster.nl">Kadaster</a>'

#: Note shown on the map when tiles fail to load.
BASEMAP_UNAVAILABLE_NL = "Achtergrondkaart niet beschikbaar"


@dataclass(frozen=True)
class Basemap:
    """One tile service.

    Attributes
    ----------
    key
        Stable identifier used by the app (``pdok-grijs``, ``osm``, ...).
    label_nl
        Name shown in the app.
    url
        XYZ URL template (``{z}/{x}/{y}``).
    attribution
        HTML attribution, as the provider asks for it.
    min_zoom, max_zoom
        Zoom range the service offers.
    """

    key: str
    label_nl: str
    url: str
    attribution: str
    min_zoom: int = 0
    max_zoom: int = 19


#: Key for "no basemap".
NO_BASEMAP = "none"

BASEMAPS: dict[str, Basemap] = {
    "pdok-grijs": Basemap(
        "pdok-grijs",
        "BRT-Achtergrondkaart grijs (PDOK)",
        _PDOK_URL.format(variant="grijs"),
        _PDOK_ATTRIBUTION,
        min_zoom=6,
    ),
    "pdok-pastel": Basemap(
        "pdok-pastel",
        "BRT-Achtergrondkaart pastel (PDOK)",
        _PDOK_URL.format(variant="pastel"),
        _PDOK_ATTRIBUTION,
        min_zoom=6,
    ),
    "osm": Basemap(
        "osm",
        "OpenStreetMap",
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>-bijdragers',
    ),
}

#: The basemap used unless the user picks another.
DEFAULT_BASEMAP = "pdok-grijs"


def basemap_options() -> dict[str, str]:
    """Return ``{key: Dutch label}`` of every choice, ``none`` last, for a select box."""
    options = {key: basemap.label_nl for key, basemap in BASEMAPS.items()}
    options[NO_BASEMAP] = "Geen achtergrondkaart"
    return options


class _TileErrorNote(MacroElement):
    """A map note that appears while more basemap tiles failed (``tileerror``) than loaded."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (map) {
            var note = L.control({position: "bottomleft"});
            note.onAdd = function () {
                var div = L.DomUtil.create("div", "stapel-basemap-note");
                div.setAttribute("role", "status");
                div.textContent = {{ this.text_json }};
                div.style.display = "none";
                return div;
            };
            note.addTo(map);
            // Shown while more tiles failed than loaded: offline, or the service is blocked.
            var failed = 0, loaded = 0;
            var update = function () {
                note.getContainer().style.display = failed > loaded ? "block" : "none";
            };
            var watch = function (layer) {
                if (layer instanceof L.TileLayer) {
                    layer.on("tileerror", function () { failed += 1; update(); });
                    layer.on("tileload", function () { loaded += 1; update(); });
                }
            };
            map.eachLayer(watch);
            map.on("layeradd", function (e) { watch(e.layer); });
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "TileErrorNote"
        self.text_json = json.dumps(text)


def add_basemap(
    fmap: folium.Map,
    key: str | None = DEFAULT_BASEMAP,
    *,
    unavailable_text: str = BASEMAP_UNAVAILABLE_NL,
) -> folium.Map:
    """Add a basemap (and the "basemap unavailable" note) to a map.

    Parameters
    ----------
    fmap
        A map created with ``tiles=None``.
    key
        A key of :data:`BASEMAPS`, or ``"none"``/``None`` for no basemap.

    Returns
    -------
    folium.Map
        The same map, for chaining.

    Raises
    ------
    InputError
        For an unknown key.
    """
    if key is None or key == NO_BASEMAP:
        return fmap
    if key not in BASEMAPS:
        choices = ", ".join([*BASEMAPS, NO_BASEMAP])
        raise InputError(
            f"Unknown basemap {key!r}; choose one of {choices}.",
            nl=f"Onbekende achtergrondkaart {key!r}; kies uit {choices}.",
        )
    basemap = BASEMAPS[key]
    folium.TileLayer(
        tiles=basemap.url,
        attr=basemap.attribution,
        name=basemap.label_nl,
        min_zoom=basemap.min_zoom,
        max_zoom=basemap.max_zoom,
        max_native_zoom=basemap.max_zoom,
        overlay=False,
        control=False,
    ).add_to(fmap)
    _TileErrorNote(unavailable_text).add_to(fmap)
    return fmap
