"""The Stapelkaart choropleth map: classes, colours, legend, tooltip, basemap.

Two steps, cached separately by the app:

1. :func:`prepare_geometry` (once per gemeente and level): coverage-simplified
   geometry in WGS84 with its GeoJSON text.
2. :func:`build_map` (per indicator): a :class:`folium.Map` that styles the
   prepared geometry. It only joins small property objects to the cached
   geometry text, so switching indicator is cheap.

The map loads Leaflet from the app itself (see :mod:`geo_app.mapview.assets`) and
nothing else: no jQuery, Bootstrap, icon fonts or d3. Show it with
``streamlit_folium.st_folium(fmap, ...)``; every feature's properties carry
``code``, so the clicked area is in ``last_active_drawing["properties"]["code"]``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import Figure

from cbs_ingest.errors import CacheError, InputError
from geo_app.mapview import assets
from geo_app.mapview.basemap import DEFAULT_BASEMAP, add_basemap
from geo_app.mapview.change import change_classes, change_rows, signed_value, step_decimals
from geo_app.mapview.classes import (
    HOTSPOT_COLOURS,
    PALETTES,
    SCHEMES,
    Scheme,
    auto_decimals,
    category_colours,
    classify,
    format_value,
    separating_decimals,
    sequential_colours,
)
from geo_app.mapview.elements import (
    ChoroplethLayer,
    GeometryDecoder,
    Legend,
    MetricScale,
    OutlineLayer,
    css_element,
    feature_collection,
    script_json,
)
from geo_app.mapview.geometry import prepare_geometry
from geo_app.mapview.legend import (
    MAP_TEXT_KEYS,
    legend_html,
    legend_title,
    map_texts,
    numeric_rows,
)
from geo_app.session.i18n import hotspot_label

__all__ = [
    "Scheme",
    "build_map",
    "prepare_geometry",
    "SCHEMES",
    "PALETTES",
    "HOTSPOT_COLOURS",
    "MAP_TEXT_KEYS",
    "map_texts",
    "format_value",
    "SELECTED_COLOUR",
    "ZOOM_SNAP",
    "selection_layer",
]

#: Zoom step of fits and of the mouse wheel (Leaflet ``zoomSnap``).
ZOOM_SNAP = 0.25

#: Outline colour of the selected area(s): magenta on a white casing, unlike the
#: black stacking outlines, the dashed wijk lines and every map palette.
SELECTED_COLOUR = "#E6007E"

_LOG = logging.getLogger(__name__)


def build_map(
    geometry: gpd.GeoDataFrame,
    values: pd.Series | Mapping[str, object] | None = None,
    *,
    title: str = "",
    unit: str | None = None,
    kind: str = "auto",
    scheme: Scheme = "quantiles",
    k: int = 5,
    palette: str = "viridis",
    reverse: bool = True,
    decimals: int | None = None,
    categories: Sequence[str] | None = None,
    category_labels: Mapping[str, str] | None = None,
    suppressed: pd.Series | Iterable[str] | None = None,
    stacking: pd.Series | Iterable[str] | None = None,
    stacking_label: str = "Stapeling van problemen",
    selected_label: str | None = None,
    doubtful: pd.Series | Iterable[str] | None = None,
    doubtful_label: str | None = None,
    notes: pd.Series | Mapping[str, str] | None = None,
    change_floor: float = 0.0,
    wijken: gpd.GeoDataFrame | None = None,
    basemap: str | None = DEFAULT_BASEMAP,
    attribution: str = "Bron: CBS, Kadaster",
    note: str | None = None,
    texts: Mapping[str, str] | None = None,
    asset_base: str = assets.DEFAULT_ASSET_BASE,
    height: int | str = "100%",
) -> folium.Map:
    """Build the choropleth map of one indicator.

    Parameters
    ----------
    geometry
        Areas from :func:`prepare_geometry` (an unprepared frame with ``code``,
        ``name`` and a CRS is prepared on the fly, uncached).
    values
        The values to colour by, indexed by area ``code`` (a Series with the
        same index as ``geometry`` is accepted too). Numbers (NaN = missing) or
        categories (cluster labels, hotspot classes). None draws grey areas.
    title
        Dutch name of the indicator, shown as legend title and in the tooltip.
    unit
        Unit key (``percent``, ``count``, ``per_1000``, ``x1000_euro``, ``ha``,
        ``per_km2``) or free text appended to values.
    kind
        ``auto`` (numbers → ``numeric``; hotspot class names → ``hotspot``;
        other text → ``categorical``), one of those three, or ``change``: numbers
        that are changes, in seven classes symmetric around 0 with a diverging
        palette (:mod:`geo_app.mapview.change`; ``scheme``, ``k``, ``palette``
        and ``decimals`` do not apply), shown with a sign.
    scheme, k
        Class breaks for numbers: a key of :data:`SCHEMES` and 2–9 classes.
    palette, reverse
        Sequential palette (:data:`PALETTES`); ``reverse`` makes high values dark.
    decimals
        Decimals of numbers shown; None chooses from the data.
    categories, category_labels
        Order and Dutch labels of categories (defaults: sorted values; for
        hotspots the fixed order of :data:`HOTSPOT_COLOURS` with the Dutch labels
        of :data:`geo_app.session.i18n.HOTSPOT_LABELS`).
    suppressed
        Areas whose value was suppressed for privacy: a boolean Series (by code
        or aligned) or codes. Drawn hatched like missing values.
    stacking
        Areas where problems stack: boolean Series or codes. Outlined in black.
    stacking_label
        Dutch legend and tooltip text for stacking areas.
    doubtful, doubtful_label
        Areas whose stacking verdict is doubtful (borderline in the rank
        uncertainty): boolean Series or codes, drawn with a dotted outline, and
        their legend text. A stable stacking area keeps the solid outline.
    notes
        An extra tooltip line per area code (e.g. why an area has no comparison).
    change_floor
        For ``kind="change"``: the smallest class step (5 for counts rounded to 5).
    selected_label
        Legend text for the outline of :func:`selection_layer` (None: no row).
        The outline itself is a separate layer, so that selecting another area
        does not change (and remount) the map.
    wijken
        Prepared wijk geometry to draw as dashed outlines over buurten.
    basemap
        ``pdok-grijs`` (default), ``pdok-pastel``, ``osm`` or ``none``/None.
    attribution
        Data attribution shown in the map corner.
    note
        Extra Dutch line under the legend (e.g. the classification used).
    texts
        Replacements for the fixed Dutch texts, by id of :data:`MAP_TEXT_KEYS`
        (``map_texts("en")`` has them all in English). Its ``number_format``
        (``"nl"`` or ``"en"``) sets the decimal mark of the tooltip and legend numbers.
    asset_base
        URL of the local Leaflet folder as the browser sees it. With the
        default, the app's copy (``geo_app/static/vendor/leaflet``) is made
        once per process if missing (:func:`geo_app.mapview.assets.ensure_assets`).
    height
        Map height (pixels or CSS size).

    Returns
    -------
    folium.Map

    Raises
    ------
    InputError
        For an unknown scheme, palette, basemap or kind, or a bad ``k``.
    """
    unknown = set(texts or {}) - set(MAP_TEXT_KEYS)
    if unknown:
        raise InputError(
            f"Unknown map text(s): {', '.join(sorted(unknown))}.",
            nl=f"Onbekende kaarttekst(en): {', '.join(sorted(unknown))}.",
        )
    words = {**map_texts("nl"), **(texts or {})}
    if asset_base == assets.DEFAULT_ASSET_BASE:
        _ensure_default_assets()
    if "geometry_encoded" not in geometry.columns:
        geometry = prepare_geometry(geometry)
    codes = geometry["code"].to_numpy(dtype=object)
    series = _align(values, geometry)
    kind = _kind(kind, series)
    suppressed_flags = _flags(suppressed, geometry)
    stacking_flags = _flags(stacking, geometry)
    doubtful_flags = _flags(doubtful, geometry)

    english = words["number_format"] == "en"
    if kind == "change":
        numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, copy=True)
        numbers[suppressed_flags] = np.nan
        classes, step = change_classes(numbers, floor=change_floor)
        places = step_decimals(step)
        index = classes.index
        shown = [signed_value(v, unit, decimals=places, english=english) for v in numbers]
        rows = change_rows(step, places=places, texts=words, english=english)
        colours = [colour for colour, _ in rows]
    elif kind == "numeric":
        numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, copy=True)
        numbers[suppressed_flags] = np.nan
        classes = classify(numbers, scheme=scheme, k=k)
        if decimals is None:
            places = separating_decimals(classes, auto_decimals(numbers))
        else:
            places = int(decimals)
        colours = sequential_colours(classes.k, palette=palette, reverse=reverse)
        index = classes.index
        shown = [format_value(v, unit, decimals=places, english=english) for v in numbers]
        rows = numeric_rows(classes, colours, unit, places, english=english)
    else:
        index, colours, labels = _categorise(series, kind, categories, category_labels)
        index[suppressed_flags] = -1
        shown = [labels[i] if i >= 0 else "" for i in index]
        rows = list(zip(colours, labels, strict=True))

    counts = np.bincount(index[index >= 0], minlength=len(colours))
    features = []
    names = geometry["name"].to_numpy(dtype=object)
    extra = _align(notes, geometry).to_numpy(dtype=object) if notes is not None else None
    for i, geom in enumerate(geometry["geometry_encoded"].to_numpy(dtype=object)):
        if not geom:
            continue
        props = {"code": codes[i], "name": names[i], "v": shown[i], "c": int(index[i])}
        if suppressed_flags[i]:
            props["x"] = 1
        if stacking_flags[i]:
            props["s"] = 1
        if doubtful_flags[i]:
            props["d"] = 1
        if extra is not None and isinstance(extra[i], str) and extra[i]:
            props["n"] = extra[i]
        features.append('{"properties":' + script_json(props) + ',"e":' + geom + "}")

    fmap = _new_map(geometry, asset_base=asset_base, height=height)
    add_basemap(fmap, basemap, unavailable_text=words["basemap_unavailable"])
    config = {
        "colours": colours,
        "fillOpacity": 0.78 if basemap not in (None, "none") else 0.95,
        "lineColour": "#ffffff",
        "stackColour": "#000000",
        "label": title,
        "attribution": attribution,
        "missingText": words["missing"],
        "suppressedText": words["suppressed"],
        "stackText": stacking_label,
    }
    ChoroplethLayer(feature_collection(features), config).add_to(fmap)
    if wijken is not None:
        if "geometry_encoded" not in wijken.columns:
            wijken = prepare_geometry(wijken)
        outlines = [
            '{"properties":{},"e":' + g + "}"
            for g in wijken["geometry_encoded"].to_numpy(dtype=object)
            if g
        ]
        OutlineLayer(feature_collection(outlines)).add_to(fmap)
    legend = legend_html(
        title=legend_title(title, unit if kind in ("numeric", "change") else None, words),
        rows=rows,
        counts=counts,
        n_missing=int((index < 0).sum()),
        stacking_label=stacking_label if stacking_flags.any() else None,
        wijken=wijken is not None,
        note=note,
        texts=words,
        selected_label=selected_label,
        doubtful_label=doubtful_label if doubtful_flags.any() else None,
    )
    Legend(
        legend,
        bounds=_bounds(geometry),
        hide_text=words["legend_hide"],
        show_text=words["legend_show"],
        selected_colour=SELECTED_COLOUR,
    ).add_to(fmap)
    return fmap


def selection_layer(
    geometry: gpd.GeoDataFrame, codes: Iterable[str], *, colour: str = SELECTED_COLOUR
) -> folium.FeatureGroup:
    """A feature group outlining the selected areas, for ``st_folium(feature_group_to_add=...)``.

    Streamlit-folium redraws such a group without remounting the map, so the
    zoom and position stay when the selection changes. The outline is a thick
    line in ``colour`` on a white casing, not clickable (clicks reach the
    choropleth underneath). It uses plain Leaflet only.

    Parameters
    ----------
    geometry
        Areas from :func:`prepare_geometry` (WGS84, with ``code``).
    codes
        Codes of the areas to outline; unknown codes are ignored.
    colour
        Line colour.

    Returns
    -------
    folium.FeatureGroup
        Possibly empty.
    """
    wanted = {str(c) for c in codes if c}
    group = folium.FeatureGroup(name="selected", control=False)
    chosen = geometry.loc[geometry["code"].isin(wanted), ["code", "geometry"]]
    chosen = chosen[~(chosen.geometry.isna() | chosen.geometry.is_empty)]
    if chosen.empty:
        return group
    data = chosen.to_crs("EPSG:4326").__geo_interface__ if chosen.crs else chosen.__geo_interface__
    for width, line in ((8, "#ffffff"), (4, colour)):
        folium.GeoJson(
            data,
            style_function=lambda _f, w=width, c=line: {
                "fill": False,
                "color": c,
                "weight": w,
                "opacity": 1,
            },
            interactive=False,
            control=False,
        ).add_to(group)
    return group


def _ensure_default_assets() -> None:
    """Make sure the app's own Leaflet copy exists; a failure leaves a log line, not a crash."""
    try:
        assets.ensure_assets_once()
    except CacheError as exc:
        _LOG.error("Leaflet assets unavailable: %s", exc.message)


def _bounds(geometry: gpd.GeoDataFrame) -> list[list[float]]:
    """``[[south, west], [north, east]]`` of the areas (the Netherlands if there are none)."""
    present = geometry.geometry[~(geometry.geometry.isna() | geometry.geometry.is_empty)]
    if len(present):
        minx, miny, maxx, maxy = (float(v) for v in present.total_bounds)
    else:  # the whole of the Netherlands
        minx, miny, maxx, maxy = 3.3, 50.75, 7.25, 53.55
    return [[miny, minx], [maxy, maxx]]


def _new_map(geometry: gpd.GeoDataFrame, *, asset_base: str, height: int | str) -> folium.Map:
    (miny, minx), (maxy, maxx) = _bounds(geometry)
    fmap = folium.Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        zoom_start=12,
        tiles=None,
        height=height,
        # Quarter zoom levels: at whole levels a gemeente can fill as little as half the
        # frame's width and height; a quarter step leaves at most 16% unused.
        zoom_snap=ZOOM_SNAP,
    )
    # Per instance, so folium's class-wide CDN lists stay untouched.
    fmap.default_js, fmap.default_css = assets.asset_links(asset_base)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    root = fmap.get_root()
    assert isinstance(root, Figure)  # folium.Map's root is always its Figure
    root.header.add_child(css_element(), name="stapel_css")
    MetricScale().add_to(fmap)
    GeometryDecoder().add_to(fmap)
    return fmap


def _align(
    values: pd.Series | Mapping[str, object] | None, geometry: gpd.GeoDataFrame
) -> pd.Series:
    """Values in the row order of ``geometry``."""
    if values is None:
        return pd.Series(np.nan, index=geometry.index, dtype=float)
    if isinstance(values, pd.Series):
        if values.index.equals(geometry.index) and not values.index.equals(
            pd.Index(geometry["code"])
        ):
            return values
        if values.index.has_duplicates:
            raise InputError(
                "values has duplicate area codes.",
                nl="Er staan gebiedscodes dubbel in de gegevens voor de kaart.",
            )
        return pd.Series(values.reindex(geometry["code"]).to_numpy(), index=geometry.index)
    return pd.Series([values.get(code) for code in geometry["code"]], index=geometry.index)


def _flags(selection: pd.Series | Iterable[str] | None, geometry: gpd.GeoDataFrame) -> np.ndarray:
    """Boolean mask in the row order of ``geometry``."""
    if selection is None:
        return np.zeros(len(geometry), dtype=bool)
    if isinstance(selection, pd.Series) and pd.api.types.is_bool_dtype(selection):
        aligned = _align(selection, geometry)
        return aligned.fillna(False).to_numpy(dtype=bool)
    wanted = {str(code) for code in selection}
    return geometry["code"].isin(wanted).to_numpy()


def _kind(kind: str, series: pd.Series) -> str:
    if kind not in ("auto", "numeric", "categorical", "hotspot", "change"):
        raise InputError(f"Unknown map kind {kind!r}.", nl=f"Onbekend soort kaart {kind!r}.")
    if kind != "auto":
        return kind
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return "numeric"
    present = set(series.dropna().astype(str))
    if present and present <= set(HOTSPOT_COLOURS):
        return "hotspot"
    if not present:
        return "numeric"
    return "categorical"


def _categorise(
    series: pd.Series,
    kind: str,
    categories: Sequence[str] | None,
    category_labels: Mapping[str, str] | None,
) -> tuple[np.ndarray, list[str], list[str]]:
    raw = series.to_numpy(dtype=object)
    if all(isinstance(v, bool | np.bool_) for v in raw if not pd.isna(v)) and len(raw):
        # A yes/no layer (e.g. stacking_flag): Dutch labels, "ja" first.
        raw = np.array([v if pd.isna(v) else ("ja" if v else "nee") for v in raw], dtype=object)
        categories = categories if categories is not None else ["ja", "nee"]
    text = [None if pd.isna(v) else str(v) for v in raw]
    if kind == "hotspot":
        order = list(categories) if categories is not None else list(HOTSPOT_COLOURS)
        colours = [HOTSPOT_COLOURS.get(c, "#999999") for c in order]
        default_labels = {c: hotspot_label(c, "nl") for c in order}
    else:
        present = sorted({v for v in text if v is not None})
        order = list(categories) if categories is not None else present
        colours = category_colours(len(order))
        default_labels = {c: c for c in order}
    labels = [str((category_labels or {}).get(c, default_labels[c])) for c in order]
    position = {c: i for i, c in enumerate(order)}
    index = np.array([position.get(v, -1) if v is not None else -1 for v in text], dtype=int)
    return index, colours, labels
