"""The folium elements of the Stapelkaart map: choropleth layer, legend, wijk outlines, CSS.

Each element renders plain Leaflet code, so the map needs nothing but Leaflet
itself (no jQuery, Bootstrap, icon fonts or d3). Data reach the page as JSON
that is safe inside a ``<script>`` element; names and labels are shown with
``textContent`` or HTML-escaped in Python, never interpreted as HTML.
"""

from __future__ import annotations

import json
import re

from branca.element import Element, MacroElement
from jinja2 import Template

from geo_app.mapview.encoding import DECODER_JS
from geo_app.mapview.leaflet_internals import ZOOM_ANIMATING

__all__ = [
    "script_json",
    "feature_collection",
    "ChoroplethLayer",
    "GeometryDecoder",
    "LEGEND_MAX_ZOOM_COST",
    "Legend",
    "OutlineLayer",
    "MetricScale",
    "MAP_CSS",
    "css_element",
]

_SCRIPT_UNSAFE = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def script_json(obj: object) -> str:
    """Serialise ``obj`` as compact JSON that cannot break out of a ``<script>`` element."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return _escape_script(text)


# branca renders each element's script, then parses the result *again* as a Jinja
# template when the figure renders. A ``{{``, ``{%`` or ``{#`` in data (an area
# name, an encoded ring) would be evaluated there. In compact JSON a structural
# brace is only ever followed by a quote or ``}``, so such a brace is always
# inside a string, where ``\u007b`` is the same character.
_JINJA_OPENER = re.compile(r"\{(?=[{%#])")


def _escape_script(text: str) -> str:
    for char, escaped in _SCRIPT_UNSAFE.items():
        if char in text:
            text = text.replace(char, escaped)
    return _JINJA_OPENER.sub(r"\\u007b", text)


def feature_collection(features: list[str]) -> str:
    """Join pre-serialised features into a script-safe FeatureCollection.

    Each feature is ``{"properties": ..., "e": ...}`` with its geometry encoded
    under ``e``; the page turns it into a GeoJSON feature with
    :class:`GeometryDecoder`'s function.
    """
    return _escape_script('{"type":"FeatureCollection","features":[' + ",".join(features) + "]}")


_DECODED = (
    "(function (d) { d.features.forEach(function (f) {"
    ' f.type = "Feature"; f.geometry = window.stapelGeometry(f.e); delete f.e;'
    " }); return d; })"
)


class GeometryDecoder(MacroElement):
    """Defines ``window.stapelGeometry``, which decodes the layers' compact geometry."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        """
        + DECODER_JS
        + """
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "GeometryDecoder"


class ChoroplethLayer(MacroElement):
    """Areas coloured by class, hatched where there is no data, with a text-only tooltip.

    Parameters
    ----------
    data_json
        Script-safe GeoJSON FeatureCollection text; each feature's properties
        hold ``code``, ``name``, ``v`` (formatted value), ``c`` (class index,
        -1 for no data) and optionally ``x`` (suppressed), ``s`` (stacking) and
        ``d`` (doubtful: a dotted outline) and ``n`` (an extra tooltip line).
    config
        Colours per class and the Dutch texts of the tooltip.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function (map) {
            var cfg = {{ this.config_json }};
            if (!document.getElementById("stapel-hatch")) {
                var holder = document.createElement("div");
                holder.style.cssText = "position:absolute;width:0;height:0;overflow:hidden";
                holder.innerHTML = '<svg width="0" height="0" aria-hidden="true"><defs>' +
                    '<pattern id="stapel-hatch" patternUnits="userSpaceOnUse"' +
                    ' width="8" height="8" patternTransform="rotate(45)">' +
                    '<rect width="8" height="8" fill="#d9d9d9"/>' +
                    '<line x1="0" y1="0" x2="0" y2="8" stroke="#8c8c8c" stroke-width="3"/>' +
                    '</pattern></defs></svg>';
                document.body.appendChild(holder);
            }
            var styleOf = function (p) {
                var style = {
                    fillColor: p.c >= 0 ? cfg.colours[p.c] : "url(#stapel-hatch)",
                    fillOpacity: cfg.fillOpacity, color: cfg.lineColour, weight: 0.7, opacity: 0.9
                };
                if (p.s) { style.color = cfg.stackColour; style.weight = 3; style.opacity = 1; }
                if (p.d) {  // dotted: unlike the dashed wijk lines
                    style.color = cfg.stackColour; style.opacity = 1; style.weight = 3.5;
                    style.dashArray = "0.5 6"; style.lineCap = "round";
                }
                return style;
            };
            var layer = L.geoJSON({{ this.decoded }}({{ this.data_json }}), {
                style: function (f) { return styleOf(f.properties); },
                attribution: cfg.attribution,
                onEachFeature: function (f, l) {
                    l.on("mouseover", function () {
                        l.setStyle({weight: f.properties.s ? 4 : 2.5});
                    });
                    l.on("mouseout", function () { l.setStyle(styleOf(f.properties)); });
                }
            });
            layer.bindTooltip(function (l) {
                var p = l.feature.properties;
                var div = document.createElement("div");
                var name = document.createElement("strong");
                name.textContent = p.name;
                div.appendChild(name);
                var line = function (text) {
                    div.appendChild(document.createElement("br"));
                    div.appendChild(document.createTextNode(text));
                };
                var value = p.c >= 0 ? p.v : (p.x ? cfg.suppressedText : cfg.missingText);
                line(cfg.label ? cfg.label + ": " + value : value);
                if (p.s) { line(cfg.stackText); }
                if (p.n) { line(p.n); }
                return div;
            }, {sticky: true, className: "stapel-tooltip"});
            layer.addTo(map);
            layer.eachLayer(function (l) { if (l.feature.properties.s) { l.bringToFront(); } });
            return layer;
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, data_json: str, config: dict) -> None:
        super().__init__()
        self._name = "Choropleth"
        self.decoded = _DECODED
        self.data_json = data_json
        self.config_json = script_json(config)


class OutlineLayer(MacroElement):
    """Non-interactive outlines drawn over the choropleth (wijk boundaries)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJSON({{ this.decoded }}({{ this.data_json }}), {
            interactive: false,
            style: {{ this.style_json }}
        }).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, data_json: str, *, colour: str = "#1a1a1a", weight: float = 2.0) -> None:
        super().__init__()
        self._name = "Outline"
        self.decoded = _DECODED
        self.data_json = data_json
        self.style_json = script_json(
            {"fill": False, "color": colour, "weight": weight, "opacity": 0.9, "dashArray": "6 4"}
        )


#: Zoom levels the map may give up to keep the areas clear of the legend (0.5: the
#: areas keep at least 70% of their width and height); beyond that they fill the frame.
LEGEND_MAX_ZOOM_COST = 0.5


class Legend(MacroElement):
    """A plain HTML/CSS legend in a Leaflet control (no d3, no branca colormap).

    The legend can be folded away with the button in its title row. When the
    map opens, it is refitted so that the areas stay clear of the legend
    (``paddingBottomRight`` with the legend's size, across or up, whichever
    costs less), provided that costs at most :data:`LEGEND_MAX_ZOOM_COST` zoom
    levels; otherwise the areas fill the frame and the user can fold the legend.
    Either way the fit is made again for the frame's real size. The row of the
    selected-area outline (class ``stapel-selected-row``) is shown only while a
    line in ``selected_colour`` is on the map, i.e. while
    :func:`geo_app.mapview.selection_layer` outlines something, so selecting an
    area never changes (and remounts) the map.

    Parameters
    ----------
    html
        The legend's markup, already escaped: it is inserted as markup.
    bounds
        ``[[south, west], [north, east]]`` of the areas, or None (no refit).
    hide_text, show_text
        Accessible names of the fold button.
    selected_colour
        Line colour of the selection outline.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (map) {
            var cfg = {{ this.config_json }};
            var legend = L.control({position: "bottomright"});
            var div;
            legend.onAdd = function () {
                div = L.DomUtil.create("div", "stapel-legend");
                div.innerHTML = {{ this.html_json }};
                var button = L.DomUtil.create("button", "stapel-legend-toggle");
                button.type = "button";
                var body = div.querySelector(".stapel-legend-title") || div.firstChild;
                var sync = function () {
                    var folded = L.DomUtil.hasClass(div, "stapel-folded");
                    button.textContent = folded ? "+" : "\u2212";
                    button.title = folded ? cfg.showText : cfg.hideText;
                    button.setAttribute("aria-label", button.title);
                    button.setAttribute("aria-expanded", folded ? "false" : "true");
                };
                if (body) {
                    body.insertBefore(button, body.firstChild);
                } else {
                    div.appendChild(button);
                }
                sync();
                L.DomEvent.on(button, "click", function (e) {
                    L.DomEvent.stop(e);
                    if (L.DomUtil.hasClass(div, "stapel-folded")) {
                        L.DomUtil.removeClass(div, "stapel-folded");
                    } else {
                        L.DomUtil.addClass(div, "stapel-folded");
                    }
                    sync();
                });
                L.DomEvent.disableScrollPropagation(div);
                L.DomEvent.disableClickPropagation(div);
                return div;
            };
            legend.addTo(map);
            var row = div.querySelector(".stapel-selected-row");
            var refresh = function () {
                if (!row) { return; }
                var shown = false;
                map.eachLayer(function (l) {
                    if (l.feature && l.options && l.options.interactive === false &&
                        l.options.color === cfg.selectedColour) { shown = true; }
                });
                row.style.display = shown ? "" : "none";
            };
            refresh();
            map.on("layeradd layerremove", function () { setTimeout(refresh, 0); });
            if (cfg.bounds) {
                // Keep the areas clear of the legend when that costs no zoom level. Done
                // once the frame has its size (streamlit-folium sizes it after this script)
                // and only if the person has not touched the map yet.
                var touched = false;
                L.DomEvent.on(map.getContainer(), "mousedown touchstart wheel keydown",
                    function () { touched = true; });
                var tries = 0;
                var refit = function () {
                    tries += 1;
                    var size = map.getSize();
                    if (size.x < 50 || size.y < 50 || window.innerHeight < size.y / 2) {
                        if (tries < 50) {
                            setTimeout(refit, 100);
                        } else {
                            div.setAttribute("data-fit", "none");
                        }
                        return;
                    }
                    if (touched) {
                        div.setAttribute("data-fit", "none");
                        return;
                    }
                    if ({{ this.zoom_animating }}) {
                        // Leaflet (1.9.3, pinned) is still animating the first fit's zoom;
                        // its end would undo a refit made now.
                        map.once("zoomend", function () { setTimeout(refit, 0); });
                        return;
                    }
                    map.invalidateSize({pan: false});
                    size = map.getSize();
                    var bounds = L.latLngBounds(cfg.bounds);
                    var zoom = map.getBoundsZoom(bounds);
                    // The corner also holds the attribution: measure from the map's edges.
                    var outer = map.getContainer().getBoundingClientRect();
                    var box = div.getBoundingClientRect();
                    var w = outer.right - box.left + 6;
                    var h = outer.bottom - box.top + 6;
                    var sides = [[w, 0], [0, h]];
                    var best = -1, bestZoom = -Infinity, bestPad = null;
                    for (var i = 0; i < sides.length; i++) {
                        var pad = L.point(sides[i][0] + 6, sides[i][1] + 6);
                        if (!(pad.x + 12 < size.x && pad.y + 12 < size.y)) { continue; }
                        var padded = map.getBoundsZoom(bounds, false, pad.add([6, 6]));
                        if (isFinite(padded) && padded > bestZoom) {
                            best = i; bestZoom = padded; bestPad = pad;
                        }
                    }
                    // Beside the legend if that costs at most cfg.maxCost zoom levels (the
                    // areas then keep at least 70% of their size); else fill the frame.
                    if (best >= 0 && isFinite(zoom) && bestZoom >= zoom - cfg.maxCost) {
                        map.fitBounds(bounds, {
                            paddingTopLeft: [6, 6], paddingBottomRight: bestPad, animate: false
                        });
                        // Done: "left" of the legend or "above" it.
                        div.setAttribute("data-fit", best === 0 ? "left" : "above");
                        return;
                    }
                    map.fitBounds(bounds, {padding: [6, 6], animate: false});
                    div.setAttribute("data-fit", "none");  // would cost too much of the map
                };
                setTimeout(refit, 0);
                // The frame can still change size after that (Streamlit lays the page out
                // again): fit anew for the new size, as long as the person has not moved.
                map.on("resize", function () {
                    if (!touched) { tries = 0; setTimeout(refit, 0); }
                });
            }
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        html: str,
        *,
        bounds: list[list[float]] | None = None,
        hide_text: str = "Legenda verbergen",
        show_text: str = "Legenda tonen",
        selected_colour: str = "#E6007E",
    ) -> None:
        super().__init__()
        self._name = "Legend"
        self.html_json = script_json(html)
        self.zoom_animating = ZOOM_ANIMATING
        self.config_json = script_json(
            {
                "bounds": bounds,
                "hideText": hide_text,
                "showText": show_text,
                "selectedColour": selected_colour,
                "maxCost": LEGEND_MAX_ZOOM_COST,
            }
        )


class MetricScale(MacroElement):
    """A metric-only scale bar."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.control.scale({imperial: false}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "MetricScale"


MAP_CSS = """
.stapel-legend { background: rgba(255,255,255,0.94); padding: 6px 9px; border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0,0,0,0.3); font: 12px/1.35 "Source Sans Pro", Arial, sans-serif;
  color: #1a1a1a; max-width: 260px; max-height: 60vh; overflow-y: auto; }
.stapel-legend .stapel-legend-title { font-weight: 600; margin-bottom: 4px; }
.stapel-legend .stapel-row { display: flex; align-items: center; gap: 6px; margin: 2px 0; }
.stapel-legend .stapel-swatch { flex: 0 0 18px; height: 12px; border: 1px solid #777; }
.stapel-legend .stapel-hatch { background: repeating-linear-gradient(45deg, #8c8c8c 0 2px,
  #d9d9d9 2px 6px); }
.stapel-legend .stapel-stack { background: #fff; border: 3px solid #000; height: 8px;
  flex-basis: 14px; }
.stapel-legend .stapel-doubt { background: #fff; border: 3px dotted #000; height: 8px;
  flex-basis: 14px; }
.stapel-legend .stapel-second { margin-left: 10px; }
path.leaflet-interactive:focus { outline: none; }
.stapel-legend .stapel-selected { background: #fff; border: 3px solid #E6007E; height: 8px;
  flex-basis: 14px; box-shadow: 0 0 0 1px #fff, 0 0 0 2px #777; }
.stapel-legend .stapel-wijk { border: none; border-top: 2px dashed #1a1a1a; height: 0; }
.stapel-legend .stapel-count { color: #555; }
.stapel-legend .stapel-note { color: #555; margin-top: 4px; font-size: 11px; }
.stapel-legend .stapel-legend-toggle { float: right; margin: -2px -4px 0 8px; width: 20px;
  height: 20px; padding: 0; border: 1px solid #bbb; border-radius: 3px; background: #fff;
  color: #1a1a1a; font: 600 14px/16px Arial, sans-serif; cursor: pointer; }
.stapel-legend .stapel-legend-toggle:hover { background: #f0f0f0; }
.stapel-legend .stapel-legend-toggle:focus-visible { outline: 2px solid #1a5fb4; }
.stapel-legend.stapel-folded > :not(.stapel-legend-title):not(.stapel-legend-toggle) {
  display: none; }
.stapel-legend.stapel-folded .stapel-legend-title { margin-bottom: 0; }
.stapel-tooltip { font: 13px/1.35 "Source Sans Pro", Arial, sans-serif; }
.stapel-basemap-note { background: rgba(255,255,255,0.94); padding: 3px 8px; border-radius: 4px;
  font: 12px Arial, sans-serif; color: #7a2e00; box-shadow: 0 1px 3px rgba(0,0,0,0.3); }
"""


def css_element() -> Element:
    """The map's CSS as a ``<style>`` element for the figure header."""
    return Element(f"<style>{MAP_CSS}</style>")
