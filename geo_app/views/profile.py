"""The Gebiedsprofiel tab: one area in full, with references, chart and printable profile."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import streamlit as st

from cbs_ingest.demo import DEMO_NOTICE_NL
from geo_app.access.resolve import visible
from geo_app.session import data as _data
from geo_app.session import own_data as _own_data
from geo_app.session import shared as _shared
from geo_app.session.context import Context, bound
from geo_app.session.i18n import EMPTY, hotspot_label, t, theme_label
from geo_app.views import trends as _trend_view
from geo_app.views.export import export_meta, may_export
from geo_app.views.map import cluster_names, cluster_text, hotspot_text
from geo_app.views.profile_report import area_profile, format_value, profile_html
from layers import INDICATORS
from models.analysis import SMOOTHED_SUFFIX

__all__ = ["certainty_lines", "render", "summary", "theme_table"]


_THEME_COLUMNS = ["thema", "indicator", "waarde", "gladgestreken", "percentiel", "hoog"]


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def theme_table(result: Any, index: Any) -> pd.DataFrame:
    """The stacking themes of one area: indicator, raw and smoothed value, percentile, high."""
    rows, keys = [], []
    table = result.table
    for theme in result.profile.themes:
        if theme.key not in result.indicators:
            continue
        key = result.indicators[theme.key]
        pct = result.stacking.percentile.at[index, theme.key]
        smoothed = key + SMOOTHED_SUFFIX
        rows.append(
            {
                "thema": theme.label_nl,
                "indicator": key,
                "waarde": _number(table.at[index, key]) if key in table else None,
                "gladgestreken": _number(table.at[index, smoothed]) if smoothed in table else None,
                "percentiel": None if pd.isna(pct) else round(float(pct)),
                "hoog": bool(result.stacking.high.at[index, theme.key]),
            }
        )
        keys.append(theme.key)
    return pd.DataFrame(rows, columns=_THEME_COLUMNS, index=pd.Index(keys))


def _percent(value: Any) -> str:
    return f"{round(100 * float(value))}"


def certainty_lines(ctx: Context, row: pd.Series) -> list[str]:
    """Plain sentences on how sure the area's rank is and how reliable its figures are."""
    lines: list[str] = []
    if pd.isna(row.get("stacking_score")):
        return lines
    stability = row.get("stacking_stability")
    if stability is None or pd.isna(stability):
        lines.append(ctx.t("uncertainty_pending"))
    else:
        lines.append(
            ctx.t(
                "rank_interval",
                pct=_percent(row["stacking_percentile"] / 100),
                lo=_percent(row["stacking_percentile_lo"] / 100),
                hi=_percent(row["stacking_percentile_hi"] / 100),
            )
            + " "
            + ctx.t(
                "stability_sentence",
                share=_percent(stability),
                label=ctx.t(f"stability_{row.get('stability_class', 'unknown')}"),
            )
        )
    reliability = str(row.get("reliability_class") or "unknown")
    lines.append(f"**{ctx.t('reliability')}:** {ctx.t(f'reliability_{reliability}')}")
    if reliability == "low":
        lines.append(ctx.t("reliability_low_note"))
    return lines


def summary(ctx: Context, row: pd.Series, themes: pd.DataFrame) -> dict[str, str]:
    """Stacking summary of one area (Dutch labels → formatted values)."""
    high = themes.loc[themes["hoog"], "thema"].tolist()
    stability = row.get("stacking_stability")
    certain = {}
    if stability is not None and not pd.isna(stability):
        certain = {
            "Percentiel in 90 % van de redelijke varianten": (
                f"{_percent(row['stacking_percentile_lo'] / 100)} tot "
                f"{_percent(row['stacking_percentile_hi'] / 100)}"
            ),
            "Stabiliteit": f"in {_percent(stability)} % van de redelijke varianten een "
            "stapelgebied",
        }
    reliability = str(row.get("reliability_class") or "unknown")
    return {
        "Stapelingsscore": format_value(row.get("stacking_score")),
        "Percentiel stapelingsscore": format_value(row.get("stacking_percentile")),
        **certain,
        "Betrouwbaarheid": t(f"reliability_{reliability}", "nl"),
        "Hoge thema's": f"{len(high)} van {len(themes)}" + (f": {', '.join(high)}" if high else ""),
        "Stapelgebied": "ja" if bool(row.get("stacking_flag")) else "nee",
        "Clustertypologie": str(row.get("cluster_label", "–")),
        "Ruimtelijk patroon (hotspots)": hotspot_label(row.get("hotspot", "–"), "nl"),
    }


def _stacking(ctx: Context, row: pd.Series, themes: pd.DataFrame) -> None:
    cols = st.columns(4)
    lang = ctx.lang
    cols[0].metric(
        ctx.t("layer_stacking_score"), format_value(row.get("stacking_score"), lang=lang)
    )
    cols[1].metric(
        ctx.t("stacking_percentile"), format_value(row.get("stacking_percentile"), lang=lang)
    )
    cols[2].metric(ctx.t("themes_high"), f"{int(themes['hoog'].sum())} / {len(themes)}")
    cols[3].metric(ctx.t("stacking"), ctx.t("yes") if row.get("stacking_flag") else ctx.t("no"))
    certain = certainty_lines(ctx, row)
    if certain:
        st.markdown("  \n".join(certain))
        if not pd.isna(row.get("stacking_stability")):
            st.caption(ctx.t("stability_how", n=ctx.result.settings.get("resamples", 0)))
    cluster = cluster_text(row.get("cluster_label"), cluster_names(ctx.result, lang))
    st.markdown(
        f"**{ctx.t('cluster')}:** {cluster}  \n"
        f"**{ctx.t('hotspot')}:** {hotspot_text(row.get('hotspot', '–'), ctx.lang)}"
    )
    labels = {i.key: i.label for i in ctx.infos}
    shown = themes.assign(indicator=themes["indicator"].map(lambda k: labels.get(k, k)))
    for column in ("waarde", "gladgestreken"):
        shown[column] = shown[column].map(lambda v: format_value(v, lang=lang))
    profile = ctx.result.profile
    shown["thema"] = [
        theme_label(profile.key, key, label, ctx.lang)
        for key, label in zip(shown.index, shown["thema"], strict=True)
    ]
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config={
            "thema": ctx.t("theme"),
            "indicator": ctx.t("col_indicator"),
            "waarde": ctx.t("col_raw"),
            "gladgestreken": ctx.t("col_smoothed"),
            "percentiel": st.column_config.ProgressColumn(
                ctx.t("col_percentile_need"), min_value=0, max_value=100, format="%d"
            ),
            "hoog": st.column_config.CheckboxColumn(ctx.t("col_high")),
        },
        placeholder=EMPTY,
    )
    label = ctx.t(f"scope_{ctx.settings['scope']}")
    scope = label[:1].lower() + label[1:]  # "heel Nederland", not "heel nederland"
    st.caption(ctx.t("theme_scope", scope=scope))


def _chart(ctx: Context, profile: pd.DataFrame) -> None:
    """Horizontal bars of the percentiles, in the order of the table, full labels."""
    data = profile[["indicator", "percentile"]].dropna().reset_index(drop=True)
    if data.empty:
        return
    import altair as alt  # here, not at the top: the first map does not wait for it

    order = list(data["indicator"])
    bars = (
        alt.Chart(data)
        .mark_bar(color="#01689B", height=14)
        .encode(
            x=alt.X("percentile:Q", scale=alt.Scale(domain=[0, 100]), title=None),
            y=alt.Y(
                "indicator:N",
                sort=order,
                title=None,
                axis=alt.Axis(labelLimit=420, labelFontSize=12),
            ),
            tooltip=[
                alt.Tooltip("indicator:N", title=ctx.t("col_indicator")),
                alt.Tooltip("percentile:Q", title=ctx.t("col_percentile")),
            ],
        )
    )
    middle = alt.Chart(pd.DataFrame({"x": [50]})).mark_rule(color="#888", strokeDash=[4, 3])
    st.altair_chart(
        (bars + middle.encode(x="x:Q")).properties(height=24 * len(data) + 30),
        width="stretch",
    )


def _dutch_labels(profile: pd.DataFrame) -> pd.DataFrame:
    """The profile with the Dutch indicator names: the printable profile is Dutch."""
    dutch = profile["key"].map(lambda k: INDICATORS[k].label_nl if k in INDICATORS else None)
    return profile.assign(indicator=dutch.fillna(profile["indicator"]))


def _national_note(ctx: Context, national: dict[str, float] | None) -> str:
    if ctx.loaded.demo:
        return ctx.t("no_national_demo")
    if national is None:
        return ctx.t("no_national", year=ctx.loaded.year)
    return ctx.t("national_how", n=_data.national_areas(ctx.loaded.year))


def render(ctx: Context) -> None:
    """Draw the profile tab."""
    names = ctx.names
    bound(
        st.selectbox,
        "area",
        ctx.t("pick_area"),
        suffix="_profile",
        options=sorted(names, key=lambda c: names[c]),
        format_func=lambda c: f"{names[c]} ({c})",
        placeholder=ctx.t("search_area"),
    )
    code = ctx.settings["area"]
    if code is None:
        st.info(ctx.t("map_click_hint"))
        return
    index = ctx.table.index[ctx.table["code"] == code][0]
    row = ctx.table.loc[index]
    st.subheader(f"{row['name']} ({code})")
    themes = theme_table(ctx.result, index)
    shown_keys = {i.key for i in ctx.infos}
    if not themes.empty:  # a role sees no percentile of an indicator it may not see
        hidden = ~themes["indicator"].isin(shown_keys)
        for column in ("waarde", "gladgestreken", "percentiel"):
            themes[column] = themes[column].astype(object).where(~hidden, None)
    if visible(ctx.role, "stacking_score"):
        _stacking(ctx, row, themes)
    notes = _own_data.notes_nl(ctx.upload, code)
    if notes:
        st.caption(ctx.t("suppressed_area") + " " + "; ".join(notes))

    national = ctx.national_values
    profile = area_profile(
        ctx.table,
        code,
        ctx.infos,
        gemeente=ctx.gemeente_values,
        national=national,
        threshold=ctx.settings["threshold"],
    )
    used = [i.label for i in ctx.infos if i.key in set(themes["indicator"])]
    st.caption(ctx.t("rests_on", n=len(used), names="; ".join(used)))

    st.markdown(f"#### {ctx.t('all_indicators')}")
    shown = profile.assign(
        value=profile["value"].map(lambda v: format_value(v, lang=ctx.lang)),
        gemeente=profile["gemeente"].map(lambda v: format_value(v, lang=ctx.lang)),
        national=profile["national"].map(lambda v: format_value(v, lang=ctx.lang)),
    )
    columns = ["indicator", "value", "gemeente"]
    columns += ["national"] if national is not None else []
    columns += ["percentile"]
    st.dataframe(
        shown[columns],
        hide_index=True,
        width="stretch",
        height=35 * (len(shown) + 1) + 3,  # every indicator visible without scrolling
        column_config={
            "indicator": st.column_config.TextColumn(ctx.t("col_indicator"), width="large"),
            "value": ctx.t("col_value"),
            "gemeente": ctx.t("col_gemeente"),
            "national": ctx.t("col_national"),
            "percentile": st.column_config.ProgressColumn(
                ctx.t("col_percentile"), min_value=0, max_value=100, format="%d"
            ),
        },
        placeholder=EMPTY,
    )
    st.caption(_national_note(ctx, national))
    st.markdown(f"**{ctx.t('percentile_chart')}**")
    _chart(ctx, profile)
    _trend_view.render_profile(ctx, code)

    if not may_export(ctx):
        return
    exportable = {i.key for i in ctx.infos if visible(ctx.role, i.key, purpose="export")}
    profile = profile[profile["key"].isin(exportable)]
    summary_rows = summary(ctx, row, themes)
    if not visible(ctx.role, "stacking_score", purpose="export"):
        summary_rows = {}
    meta = export_meta(ctx)
    trend = _trend_view.current_view(ctx, purpose="export", show=False)
    page = profile_html(
        area_name=str(row["name"]),
        area_code=code,
        gemeente_name=str(row.get("gemeentenaam", ctx.loaded.code)),
        profile=_dutch_labels(profile),
        summary=summary_rows,
        sources=meta["sources"],
        settings=meta["settings"],
        suppression=meta["suppression"]
        + (" Onderdrukt in dit gebied: " + "; ".join(notes) + "." if notes else ""),
        demo_notice=DEMO_NOTICE_NL if ctx.loaded.demo else None,
        series=None if trend is None else _trend_view.print_series(ctx, trend, code),
        series_note="" if trend is None else _trend_view.print_note(trend),
    )
    safe = re.sub(r"[^A-Za-z0-9_-]+", "_", f"gebiedsprofiel_{code}_{row['name']}")
    st.download_button(
        ctx.t("download_profile"),
        _shared.audited(  # handed out on click, and recorded in the audit log then
            page.encode("utf-8"),
            role=ctx.role,
            year=ctx.loaded.year,
            code=ctx.loaded.code,
            what=f"{safe}.html",
        ),
        file_name=f"{safe}.html",
        mime="text/html",
        key="dl_profile",
        icon=":material/print:",
        on_click="ignore",
        type="primary",
    )
