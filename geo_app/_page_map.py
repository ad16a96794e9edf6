"""The Kaart tab: the choropleth, key figures and the selected area in short."""

from __future__ import annotations

from typing import Any

import folium
import streamlit as st
from streamlit_folium import st_folium

from geo_app._context import Context, bound
from geo_app.profile_report import format_value, hotspot_nl

__all__ = ["render", "build"]


def _placeholder_map(ctx: Context) -> folium.Map:
    """A plain map used only until ``geo_app.mapview`` is available."""
    import branca.colormap as cm
    import mapclassify

    s = ctx.settings
    column = s["layer"]
    frame = ctx.table[["code", "name", column, "geometry"]].to_crs(4326)
    values = frame[column]
    if values.dtype.kind in "fi" and values.notna().sum() > s["classes"]:
        schemes = {
            "quantiles": mapclassify.Quantiles,
            "natural_breaks": mapclassify.NaturalBreaks,
            "equal_interval": mapclassify.EqualInterval,
        }
        classes = schemes[s["scheme"]](values.dropna().to_numpy(), k=s["classes"])
        bins = classes.find_bin(values.fillna(values.min()).to_numpy())
    else:
        bins = values.astype("category").cat.codes.to_numpy()
    palette = cm.linear.YlOrRd_09.scale(0, max(int(bins.max()), 1))
    frame = frame.assign(_fill=[palette(int(b)) for b in bins])
    frame.loc[values.isna(), "_fill"] = "#dddddd"
    frame[column] = values.astype(str)
    minx, miny, maxx, maxy = frame.total_bounds
    fmap = folium.Map(tiles="OpenStreetMap" if s["basemap"] == "osm" else None)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    folium.GeoJson(
        frame,
        style_function=lambda f: {
            "fillColor": f["properties"]["_fill"],
            "color": "#555",
            "weight": 0.6,
            "fillOpacity": 0.75,
        },
        tooltip=folium.GeoJsonTooltip(fields=["name", "code", column]),
    ).add_to(fmap)
    return fmap


def build(ctx: Context) -> folium.Map:
    """Build the folium map for the current settings (mapview when available)."""
    try:
        from geo_app import mapview
    except ImportError:
        return _placeholder_map(ctx)
    return mapview.build_map(ctx)  # signature settled when mapview lands


def _clicked_code(value: Any) -> str | None:
    if not isinstance(value, dict):
        return None
    drawing = value.get("last_active_drawing") or {}
    props = drawing.get("properties") or {}
    code = props.get("code")
    return str(code) if code else None


def _summary(ctx: Context) -> None:
    table = ctx.table
    a, b = st.columns(2)
    a.metric(ctx.t("areas"), len(table))
    if ctx.analysed and "stacking_flag" in table.columns:
        n = int(table["stacking_flag"].fillna(False).astype(bool).sum())
        b.metric(ctx.t("with_stacking"), n)
    st.divider()
    st.subheader(ctx.t("map_selected"))
    names = ctx.names
    bound(
        st.selectbox,
        "area",
        ctx.t("pick_area"),
        suffix="_map",
        options=list(names),
        format_func=lambda c: f"{names[c]} ({c})",
        placeholder=ctx.t("search_area"),
    )
    code = ctx.settings["area"]
    if code is None:
        st.caption(ctx.t("map_click_hint"))
        return
    row = table.loc[table["code"] == code].iloc[0]
    if ctx.analysed:
        st.markdown(
            f"**{ctx.t('layer_stacking_score')}:** {format_value(row.get('stacking_score'))}"
        )
        themes = row.get("themes_high")
        st.markdown(f"**{ctx.t('themes_high')}:** {format_value(themes)}")
        if "cluster_label" in row:
            st.markdown(f"**{ctx.t('cluster')}:** {row['cluster_label']}")
        if "hotspot" in row:
            st.markdown(f"**{ctx.t('hotspot')}:** {hotspot_nl(row['hotspot'])}")
    layer = ctx.settings["layer"]
    st.markdown(f"**{ctx.layers.get(layer, layer)}:** {format_value(row.get(layer))}")
    st.caption(ctx.t("to_profile"))


def render(ctx: Context) -> None:
    """Draw the map tab."""
    left, right = st.columns([3, 1], gap="medium")
    with left:
        st.subheader(ctx.layers.get(ctx.settings["layer"], ctx.settings["layer"]))
        fmap = build(ctx)
        value = st_folium(
            fmap,
            key="map",
            height=620,
            use_container_width=True,
            returned_objects=["last_active_drawing"],
        )
        code = _clicked_code(value)
        if code and code != st.session_state.get("last_click") and code in ctx.names:
            st.session_state["last_click"] = code
            ctx.settings["area"] = code
    with right:
        _summary(ctx)
