"""The Kaart tab: the choropleth, key figures and the selected area in short."""

from __future__ import annotations

from typing import Any

import folium
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo_app import mapview
from geo_app.access.resolve import visible
from geo_app.session import data as _data
from geo_app.session import own_data as _own_data
from geo_app.session.context import Context, bound
from geo_app.session.i18n import (
    CLUSTER_WORDS_EN,
    EMPTY,
    HOTSPOT_LABELS,
    SHORT_LABELS_EN,
    hotspot_label,
)
from geo_app.views import change_map
from geo_app.views.profile_report import format_value
from models.typology import NO_CLUSTER_LABEL

__all__ = ["render", "build", "cluster_names", "cluster_text", "hotspot_text", "selection"]


_BASEMAPS = {"pdok_grijs": "pdok-grijs", "osm": "osm", "none": "none"}
#: The sidebar's scheme ids → the map's class-break schemes.
_SCHEMES: dict[str, mapview.Scheme] = {
    "quantiles": "quantiles",
    "natural_breaks": "fisher_jenks",
    "equal_interval": "equal_interval",
}
_KINDS = {"hotspot": "hotspot", "cluster_label": "categorical"}
_UNITS = {"themes_high": "thema's"}
#: The analysis layers of the side panel, each shown only to a role that may see it.
_AREA_LINES = ("stacking_score", "themes_high", "cluster_label", "hotspot")


def hotspot_text(value: object, lang: str) -> str:
    """A hotspot class in the app's language (:data:`~geo_app.session.i18n.HOTSPOT_LABELS`)."""
    return hotspot_label(value, lang)


def cluster_names(result: Any, lang: str) -> dict[str, str]:
    """Each cluster label of the analysis table → the label in ``lang``.

    Built from the labels' parts (``typology.label_parts``), never by reading the
    Dutch text; Dutch is the table's own label (the analysis and exports keep it).
    """
    if lang == "nl":
        return {}
    names = {NO_CLUSTER_LABEL: CLUSTER_WORDS_EN["insufficient"]}
    typology = getattr(result, "typology", None)
    if typology is None:
        return names
    indicators = getattr(result, "indicators", {})
    short = {
        column: SHORT_LABELS_EN.get(indicators.get(column, ""), name)
        for column, name in typology.short_labels.items()
    }
    for cluster, parts in typology.label_parts.items():
        names[typology.label_nl[cluster]] = parts.text(CLUSTER_WORDS_EN, short)
    return names


def cluster_text(value: object, names: dict[str, str]) -> str:
    """A cluster label as :func:`cluster_names` says it."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return EMPTY
    return names.get(str(value), str(value))


def _category_labels(ctx: Context, kind: str, values: pd.Series) -> dict[str, str] | None:
    """English legend and tooltip labels of a category layer; None keeps the Dutch ones."""
    if ctx.lang != "en":
        return None
    if kind == "hotspot":
        return {c: hotspot_label(c, "en") for c in HOTSPOT_LABELS}
    names = cluster_names(ctx.result, ctx.lang)
    return {str(v): cluster_text(v, names) for v in values.dropna().unique()}


def _doubtful(table: pd.DataFrame, flagged: pd.Series) -> pd.Series:
    """Areas whose stacking verdict changes between reasonable variants (dotted outline).

    Borderline areas (a stacking area in 20-80 % of the variants), and flagged
    areas that are a stacking area in fewer than 20 % of them. Nothing before
    the rank uncertainty is computed.
    """
    if "stability_class" not in table.columns:
        return pd.Series(False, index=table.index)
    kind = table["stability_class"].astype(str)
    return (kind == "borderline") | (flagged & (kind == "rarely"))


def build(ctx: Context) -> folium.Map:
    """Build the folium map of the current layer (only the styling depends on the layer)."""
    s = ctx.settings
    layer = s["layer"]
    year, code, request = ctx.loaded.year, ctx.loaded.code, ctx.request
    geometry = _data.geometry(year, code, s["level"], request)
    table = ctx.table
    values = pd.Series(table[layer].to_numpy(), index=table["code"].to_numpy())
    units = {i.key: i.unit for i in ctx.infos}
    wijken = None
    if s["wijken"] and s["level"] == "buurt" and len(ctx.loaded.frames.get("wijk", ())):
        wijken = _data.geometry(year, code, "wijk", request)
    flagged = table["stacking_flag"].astype(bool)
    stacking = table.loc[flagged, "code"].tolist()
    doubtful = table.loc[_doubtful(table, flagged), "code"].tolist()
    kind = _KINDS.get(layer, "numeric")
    return mapview.build_map(
        geometry,
        values,
        title=ctx.layers.get(layer, layer),
        unit=units.get(layer, _UNITS.get(layer)),
        kind=kind,
        scheme=_SCHEMES[s["scheme"]],
        k=int(s["classes"]),
        suppressed=_own_data.suppressed_codes(ctx.upload, layer),
        stacking=stacking,
        stacking_label=ctx.t("stacking_area"),
        doubtful=doubtful,
        doubtful_label=ctx.t("legend_doubtful"),
        selected_label=ctx.t("map_selected"),
        wijken=wijken,
        basemap=_BASEMAPS[s["basemap"]],
        attribution=ctx.t("map_attribution_demo" if ctx.loaded.demo else "map_attribution"),
        note=ctx.t(f"scheme_{s['scheme']}") if kind == "numeric" else None,
        texts=mapview.map_texts(ctx.lang),
        category_labels=_category_labels(ctx, kind, values) if kind != "numeric" else None,
        height=620,
    )


def selection(ctx: Context) -> folium.FeatureGroup:
    """The outline of the selected area, drawn over the map without remounting it."""
    s = ctx.settings
    geometry = _data.geometry(ctx.loaded.year, ctx.loaded.code, s["level"], ctx.request)
    return mapview.selection_layer(geometry, [s["area"]] if s["area"] else [])


def _clicked_code(value: Any) -> str | None:
    if not isinstance(value, dict):
        return None
    drawing = value.get("last_active_drawing") or {}
    props = drawing.get("properties") or {}
    code = props.get("code")
    return str(code) if code else None


def _summary(ctx: Context) -> None:
    table = ctx.table
    shown = {key: visible(ctx.role, key) for key in _AREA_LINES}
    a, b = st.columns(2)
    a.metric(ctx.t("areas"), len(table))
    if shown["stacking_score"]:
        b.metric(ctx.t("with_stacking"), int(table["stacking_flag"].astype(bool).sum()))
    st.divider()
    st.markdown(f"#### {ctx.t('map_selected')}")
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
    st.markdown(f"**{row['name']}** ({code})")
    # Only the analysis layers this role may see (docs/app.md, Roles): no "–" lines.
    lines = {
        "stacking_score": f"{ctx.t('layer_stacking_score')}: "
        f"**{format_value(row['stacking_score'], lang=ctx.lang)}**",
        "themes_high": f"{ctx.t('themes_high')}: "
        f"**{format_value(row['themes_high'], lang=ctx.lang)}**",
        "cluster_label": f"{ctx.t('cluster')}: "
        f"{cluster_text(row['cluster_label'], cluster_names(ctx.result, ctx.lang))}",
        "hotspot": f"{ctx.t('hotspot')}: {hotspot_text(row['hotspot'], ctx.lang)}",
    }
    stability = row.get("stacking_stability")
    if stability is not None and not pd.isna(stability):
        kind = ctx.t(f"stability_{row.get('stability_class', 'unknown')}")
        share = round(100 * float(stability))
        lines["stacking_score"] += "  \n  " + ctx.t("stability_sentence", share=share, label=kind)
    shown_lines = [f"- {text}" for key, text in lines.items() if shown[key]]
    if shown_lines:
        st.markdown("\n".join(shown_lines))
    layer = ctx.settings["layer"]
    if layer == change_map.CHANGE_LAYER:
        line = change_map.summary_line(ctx, code)
        if line:
            st.markdown(line)
    elif layer not in _KINDS and layer not in ("stacking_score", "themes_high"):
        shown_value = format_value(row.get(layer), lang=ctx.lang)
        st.markdown(f"**{ctx.layers.get(layer, layer)}:** {shown_value}")
    st.caption(ctx.t("to_profile"))


def _take_click(ctx: Context, value: Any) -> None:
    """Make a newly clicked area the selected one."""
    code = _clicked_code(value)
    if code and code != st.session_state.get("last_click") and code in ctx.names:
        st.session_state["last_click"] = code
        ctx.settings["area"] = code


def render(ctx: Context) -> None:
    """Draw the map tab."""
    # st_folium's callback stored the newest map state before this run, so a
    # click is taken here already and the outline follows it in the same run.
    _take_click(ctx, st.session_state.get("map"))
    left, right = st.columns([3, 1], gap="medium")
    with left:
        if ctx.settings["layer"] == change_map.CHANGE_LAYER:
            heading = st.empty()  # the title names the start year, known once loaded
            change_map.render_controls(ctx)
            fmap, title = change_map.build(ctx)
            heading.subheader(title)
        else:
            st.subheader(ctx.layers.get(ctx.settings["layer"], ctx.settings["layer"]))
            fmap = build(ctx)
        if fmap is None:  # no series: the reason is shown above
            value = None
        else:
            value = st_folium(
                fmap,
                key="map",
                feature_group_to_add=selection(ctx),
                height=620,
                width=None,  # the container's width (streamlit-folium 0.27)
                returned_objects=["last_active_drawing"],
            )
        _take_click(ctx, value)
    with right:
        _summary(ctx)
