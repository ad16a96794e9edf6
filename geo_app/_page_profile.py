"""The Gebiedsprofiel tab: one area in full, with references, chart and printable profile."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from cbs_ingest.demo import DEMO_NOTICE_NL
from geo_app._context import Context, bound
from geo_app._export import export_meta
from geo_app.profile_report import area_profile, format_value, hotspot_nl, profile_html

__all__ = ["render", "summary"]


def summary(ctx: Context, row: pd.Series) -> dict[str, str]:
    """Stacking summary of one area (Dutch labels → formatted values)."""
    if not ctx.analysed:
        return {}
    out = {
        "Stapelingsscore": format_value(row.get("stacking_score")),
        "Percentiel stapelingsscore": format_value(row.get("stacking_percentile")),
        "Aantal hoge thema's": format_value(row.get("themes_high")),
        "Stapeling": "ja" if bool(row.get("stacking_flag")) else "nee",
    }
    if "cluster_label" in row:
        out["Clustertypologie"] = str(row["cluster_label"])
    if "hotspot" in row:
        out["Hotspot"] = hotspot_nl(row["hotspot"])
    if "n_indicators" in row:
        out["Aantal indicatoren met een waarde"] = format_value(row["n_indicators"])
    return out


def _reference(row: pd.Series | None) -> dict[str, object] | None:
    return None if row is None else row.to_dict()


def render(ctx: Context) -> None:
    """Draw the profile tab."""
    names = ctx.names
    bound(
        st.selectbox,
        "area",
        ctx.t("pick_area"),
        suffix="_profile",
        options=sorted(names, key=names.get),
        format_func=lambda c: f"{names[c]} ({c})",
        placeholder=ctx.t("search_area"),
    )
    code = ctx.settings["area"]
    if code is None:
        st.info(ctx.t("map_click_hint"))
        return
    row = ctx.table.loc[ctx.table["code"] == code].iloc[0]
    st.subheader(f"{row['name']} ({code})")
    if not ctx.analysed:
        st.info(ctx.t("analysis_unavailable"))
    else:
        cols = st.columns(4)
        cols[0].metric(ctx.t("layer_stacking_score"), format_value(row.get("stacking_score")))
        cols[1].metric(ctx.t("themes_high"), format_value(row.get("themes_high")))
        cols[2].metric(ctx.t("cluster"), str(row.get("cluster_label", "–")))
        cols[3].metric(ctx.t("hotspot"), hotspot_nl(row.get("hotspot", "–")).split(" (")[0])
        high = row.get("themes_high_names") or row.get("high_themes")
        if isinstance(high, str | list | tuple) and len(high):
            st.markdown(
                f"**{ctx.t('themes_high')}:** {high if isinstance(high, str) else ', '.join(high)}"
            )

    threshold = ctx.settings["threshold"]
    national = ctx.national_row
    profile = area_profile(
        ctx.table,
        code,
        ctx.infos,
        gemeente=_reference(ctx.gemeente_row),
        national=_reference(national),
        threshold=threshold,
    )
    used = profile.loc[profile["value"].notna(), "indicator"].tolist()
    st.caption(ctx.t("rests_on", n=len(used), names=", ".join(used)))

    left, right = st.columns([3, 2], gap="medium")
    with left:
        shown = profile.assign(
            value=profile["value"].map(format_value),
            gemeente=profile["gemeente"].map(format_value),
            national=profile["national"].map(format_value),
        )
        columns = ["indicator", "unit", "value", "gemeente"]
        columns += ["national"] if national is not None else []
        columns += ["percentile", "high"]
        st.dataframe(
            shown[columns],
            hide_index=True,
            width="stretch",
            column_config={
                "indicator": ctx.t("col_indicator"),
                "unit": ctx.t("col_unit"),
                "value": ctx.t("col_value"),
                "gemeente": ctx.t("col_gemeente"),
                "national": ctx.t("col_national"),
                "percentile": st.column_config.ProgressColumn(
                    ctx.t("col_percentile"), min_value=0, max_value=100, format="%d"
                ),
                "high": st.column_config.CheckboxColumn(ctx.t("col_high")),
            },
        )
        if national is None:
            st.caption(ctx.t("no_national"))
    with right:
        st.markdown(f"**{ctx.t('percentile_chart')}**")
        chart = profile[["indicator", "percentile"]].dropna()
        st.bar_chart(
            chart,
            x="indicator",
            y="percentile",
            horizontal=True,
            height=380,
            x_label="",
            y_label="",
        )

    meta = export_meta(ctx)
    page = profile_html(
        area_name=str(row["name"]),
        area_code=code,
        gemeente_name=str(row.get("gemeentenaam", ctx.loaded.code)),
        profile=profile,
        summary=summary(ctx, row),
        sources=meta["sources"],
        settings=meta["settings"],
        suppression=meta["suppression"],
        demo_notice=DEMO_NOTICE_NL if ctx.loaded.demo else None,
    )
    safe = re.sub(r"[^A-Za-z0-9_-]+", "_", f"gebiedsprofiel_{code}_{row['name']}")
    st.download_button(
        ctx.t("download_profile"),
        page.encode("utf-8"),
        file_name=f"{safe}.html",
        mime="text/html",
        key="dl_profile",
        icon=":material/print:",
        on_click="ignore",
    )
