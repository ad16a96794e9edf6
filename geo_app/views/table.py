"""The Tabel tab: every area in a sortable table, and the downloads."""

from __future__ import annotations

from typing import Any

import streamlit as st

from geo_app.access.resolve import ANALYSIS_GROUPS, visible
from geo_app.session import own_data as _own_data
from geo_app.session.context import Context
from geo_app.session.i18n import EMPTY
from geo_app.views.export import render_downloads
from geo_app.views.map import cluster_text, hotspot_text
from models.analysis import SMOOTHED_SUFFIX

__all__ = ["render"]

_FIRST = (
    "name",
    "code",
    "wijkcode",
    "stacking_score",
    "stacking_percentile",
    "stacking_percentile_lo",
    "stacking_percentile_hi",
    "stacking_stability",
    "reliability_class",
    "themes_high",
    "stacking_flag",
    "cluster_label",
    "hotspot",
)


def render(ctx: Context) -> None:
    """Draw the table tab."""
    table = ctx.table.drop(columns="geometry")
    keys = [i.key for i in ctx.infos]
    hidden = {c for k, cols in ANALYSIS_GROUPS.items() if not visible(ctx.role, k) for c in cols}
    first = [c for c in _FIRST if c in table.columns and c not in hidden]
    if ctx.settings["level"] == "wijk" and "wijkcode" in first:
        first.remove("wijkcode")
    rest = []
    for key in (k for k in keys if k not in first):
        rest += [key] + ([key + SMOOTHED_SUFFIX] if key + SMOOTHED_SUFFIX in table else [])
    shown = table[first + rest].copy()
    if "stacking_stability" in shown.columns:
        shown["stacking_stability"] = (100 * shown["stacking_stability"]).round()
    if "reliability_class" in shown.columns:
        shown["reliability_class"] = shown["reliability_class"].map(
            lambda v: ctx.t(f"reliability_{v}") if v else None
        )
    if "hotspot" in shown.columns:
        shown["hotspot"] = shown["hotspot"].map(lambda v: hotspot_text(v, ctx.lang))
    if "cluster_label" in shown.columns and ctx.lang == "en":
        shown["cluster_label"] = shown["cluster_label"].map(lambda v: cluster_text(v, "en"))
    config: dict[str, Any] = {
        "name": st.column_config.TextColumn("Naam", pinned=True),
        "code": "Code",
        "wijkcode": "Wijk",
        "stacking_score": st.column_config.NumberColumn(
            ctx.t("layer_stacking_score"), format="%.2f"
        ),
        "stacking_percentile": st.column_config.NumberColumn("Percentiel", format="%d"),
        "stacking_percentile_lo": st.column_config.NumberColumn(ctx.t("col_pct_lo"), format="%d"),
        "stacking_percentile_hi": st.column_config.NumberColumn(ctx.t("col_pct_hi"), format="%d"),
        "stacking_stability": st.column_config.NumberColumn(ctx.t("col_stability"), format="%d"),
        "reliability_class": ctx.t("reliability"),
        "themes_high": ctx.t("layer_themes_high"),
        "stacking_flag": st.column_config.CheckboxColumn(ctx.t("stacking")),
        "cluster_label": ctx.t("layer_cluster_label"),
        "hotspot": ctx.t("hotspot"),
    }
    config |= {i.key: i.label for i in ctx.infos}
    config |= {
        i.key + SMOOTHED_SUFFIX: f"{i.label} ({ctx.t('col_smoothed').lower()})" for i in ctx.infos
    }
    if "stacking_score" in shown.columns:
        shown = shown.sort_values("stacking_score", ascending=False, na_position="last")
    st.caption(ctx.t("table_caption"))
    st.dataframe(
        shown, hide_index=True, width="stretch", column_config=config, height=460, placeholder=EMPTY
    )
    n_hidden = sum(len(_own_data.suppressed_codes(ctx.upload, key)) for key in shown.columns)
    if n_hidden:
        st.caption(ctx.t("suppressed_caption", n=n_hidden))
    st.subheader(ctx.t("downloads"))
    render_downloads(ctx)
