"""Trends over the years in the profile and compare tabs (issue 12).

Small multiples per theme (Altair, bundled with Streamlit): the chosen area(s), the
gemeente and, where the whole-country series are stored, the national line; the
slope and change in words, "geen trend: <reden>" where refused, whether values are
harmonised, and the trend rule in Dutch. The data come from
:mod:`geo_app.session.trends`, filtered for the role first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pandas as pd
import streamlit as st

from cbs_ingest.demo import DEMO_GEMEENTE_CODE
from cbs_ingest.series_tables import COUNT_INDICATORS, RATE_INDICATORS
from geo_app.session import trends as _trends
from geo_app.session.context import Context
from geo_app.session.i18n import EMPTY
from geo_app.session.i18n import t as _t
from geo_app.session.trends import TrendView, theme_indicator
from geo_app.views.profile_report import format_value
from models.stacking_trend import STACKING_THEME
from models.trends import SIGNAL_ON_BY_DEFAULT

__all__ = [
    "area_lines",
    "current_view",
    "print_note",
    "print_series",
    "render_compare",
    "render_profile",
    "trend_sentence",
    "trend_table",
]

#: Okabe-Ito colours (colour-blind safe); gemeente and national lines are grey.
_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
_GEMEENTE_COLOUR = "#555555"
_NATIONAL_COLOUR = "#AAAAAA"


def t_nl(key: str, **values: object) -> str:
    """A text in Dutch (the printable profile and exports are Dutch)."""
    return _t(key, "nl", **values)


def current_view(ctx: Context, *, purpose: str = "view", show: bool = True) -> TrendView | None:
    """The trend view of the current gemeente and level as the role may see it, or None.

    With ``show`` a Dutch (or English) message says why there is none.
    """
    level = str(ctx.settings.get("level", ""))
    code = ctx.loaded.code
    span = _trends.year_range(code, level) if level in ("wijk", "buurt") else None
    if span is None:
        if show:
            st.info(ctx.t("trend_level_only"))
        return None
    span = _period(ctx, span)
    view = _trends.trend_view(code, level, *span)
    if view is None:
        if show:
            st.info(_trends.no_series_message(code, level, *span, lang=ctx.lang))
        return None
    return _trends.for_role(view, ctx.role, purpose=purpose)


def _period(ctx: Context, span: tuple[int, int]) -> tuple[int, int]:
    """The period chosen for the change layer (``van``/``tot``, in the URL), else the full span."""
    first, last = ctx.settings.get("van"), ctx.settings.get("tot")
    if first is None or last is None or not span[0] <= int(first) < int(last) <= span[1]:
        return span
    return int(first), int(last)


def _label(ctx: Context, theme: str) -> str:
    indicator = theme_indicator(theme)
    return f"{ctx.t(f'trend_theme_{theme}')}: {ctx.t(f'trend_ind_{indicator}')}"


def area_lines(ctx: Context, view: TrendView, codes: Sequence[str], theme: str) -> pd.DataFrame:
    """Chart data of one theme's main indicator: one line per area, gemeente, nederland.

    Columns ``line`` (label as shown), ``kind`` (``area``/``gemeente``/``nederland``),
    ``year``, ``value`` and ``comparable``.
    """
    indicator = theme_indicator(theme)
    names = ctx.names
    rows = view.series[(view.series["indicator"] == indicator) & view.series["code"].isin(codes)]
    parts = []
    for code in codes:
        mine = rows[rows["code"] == code]
        if mine.empty:
            continue
        parts.append(
            pd.DataFrame(
                {
                    "line": f"{names.get(code, code)} ({code})",
                    "kind": "area",
                    "year": mine["year"].to_numpy(dtype=int),
                    "value": mine["value"].to_numpy(dtype=float),
                    "comparable": mine["comparable"].to_numpy(dtype=bool),
                }
            )
        )
    # a gemeente's or the country's count is no yardstick for one area's count: only rates
    is_rate = indicator in RATE_INDICATORS.values()
    reference = view.reference[(view.reference["indicator"] == indicator) & is_rate]
    gemeente = str(ctx.table["gemeentenaam"].iloc[0]) if "gemeentenaam" in ctx.table else ""
    for kind in ("gemeente", "nederland"):
        if kind == "gemeente" and not ctx.role.may_see(level="gemeente"):
            continue
        line = reference[reference["line"] == kind]
        if line.empty:
            continue
        text = (
            ctx.t("trend_line_gemeente", name=gemeente or ctx.loaded.code)
            if kind == "gemeente"
            else ctx.t("trend_line_nederland", n=_count_text(line["n_gemeenten"]))
        )
        parts.append(
            pd.DataFrame(
                {
                    "line": text,
                    "kind": kind,
                    "year": line["year"].to_numpy(dtype=int),
                    "value": line["value"].to_numpy(dtype=float),
                    "comparable": True,
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=["line", "kind", "year", "value", "comparable"])
    return pd.concat(parts, ignore_index=True).dropna(subset=["value"])


def _count_text(counts: pd.Series) -> str:
    low, high = int(counts.min()), int(counts.max())
    return str(high) if low == high else f"{low}–{high}"


def _chart(ctx: Context, data: pd.DataFrame, title: str) -> None:
    import altair as alt  # here, not at the top: the first map does not wait for it

    lines = list(dict.fromkeys(data["line"]))
    kinds = dict(zip(data["line"], data["kind"], strict=False))
    colours, area_i = [], 0
    for line in lines:
        if kinds[line] == "gemeente":
            colours.append(_GEMEENTE_COLOUR)
        elif kinds[line] == "nederland":
            colours.append(_NATIONAL_COLOUR)
        else:
            colours.append(_COLOURS[area_i % len(_COLOURS)])
            area_i += 1
    shown = data.assign(
        vergelijkbaar=data["comparable"].map({True: ctx.t("yes"), False: ctx.t("no")})
    )
    base = alt.Chart(shown).encode(
        x=alt.X("year:O", title=ctx.t("trend_col_year")),
        y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False)),
        color=alt.Color(
            "line:N",
            title=None,
            scale=alt.Scale(domain=lines, range=colours),
            legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=320),
        ),
        tooltip=[
            alt.Tooltip("line:N", title=ctx.t("trend_col_line")),
            alt.Tooltip("year:O", title=ctx.t("trend_col_year")),
            alt.Tooltip("value:Q", title=ctx.t("trend_col_value"), format=",.1f"),
            alt.Tooltip("vergelijkbaar:N", title=ctx.t("trend_col_comparable")),
        ],
    )
    chart = base.mark_line() + base.mark_point(filled=True).encode(
        opacity=alt.condition("datum.comparable", alt.value(1.0), alt.value(0.3))
    )
    st.markdown(f"**{title}**")
    # no .properties(height=…) or title: with either, Streamlit 1.67 squashes the plot
    st.altair_chart(chart, width="stretch")


def trend_sentence(ctx: Context, row: pd.Series | None, *, signal: bool) -> str:
    """The trend of one area, theme and indicator in words (or why there is none)."""
    if row is None:
        return ctx.t("trend_no_area_series")
    if not bool(row["comparable"]):
        return ctx.t("trend_refused", reason=row["reason"])
    unit = "count" if row["indicator"] in COUNT_INDICATORS.values() else ""

    def fmt(value: Any, signed: bool = False) -> str:
        text = format_value(value, unit, lang=ctx.lang)
        return f"+{text}" if signed and text != EMPTY and float(value) > 0 else text

    slope = float(row["slope"])
    direction = ctx.t("trend_up" if slope > 0 else "trend_down" if slope < 0 else "trend_flat")
    rel = row.get("change_rel")
    rel_text = "" if rel is None or pd.isna(rel) else f", {'+' if rel > 0 else ''}{rel:.0%}"
    text = ctx.t(
        "trend_sentence",
        indicator=ctx.t(f"trend_ind_{row['indicator']}"),
        direction=direction,
        slope=format_value(slope, lang=ctx.lang) if abs(slope) >= 0.05 else "0",
        first_value=fmt(row["first_value"]),
        first_year=row["first_period"],
        last_value=fmt(row["last_value"]),
        last_year=row["last_period"],
        change=fmt(row["change"], signed=True),
        rel=rel_text,
    )
    if signal and not pd.isna(row.get("trend_flag")):
        text += " " + ctx.t("trend_flagged" if bool(row["trend_flag"]) else "trend_not_flagged")
    return text


def _trend_row(view: TrendView, code: str, theme: str) -> pd.Series | None:
    trends = view.trends
    hit = trends[
        (trends["code"] == code)
        & (trends["theme"] == theme)
        & (trends["indicator"] == theme_indicator(theme))
    ]
    return None if hit.empty else hit.iloc[0]


def _signal(ctx: Context, key: str) -> bool:
    return bool(st.checkbox(ctx.t("trend_signal_toggle"), value=SIGNAL_ON_BY_DEFAULT, key=key))


def _sources(view: TrendView) -> tuple[str, dict[str, str]]:
    """The text id and arguments of the source line: CBS's tables, or the demo's own series."""
    if view.series["gemeentecode"].eq(DEMO_GEMEENTE_CODE).all():
        return "trend_sources_demo", {}
    tables = sorted({t for by_year in view.sources.values() for t in by_year.values()})
    return "trend_sources", {"tables": ", ".join(tables)}


def _footer(ctx: Context, view: TrendView) -> None:
    years = view.series.drop_duplicates(["code", "theme", "year"])
    harmonised = years[years["harmonised"].astype(bool)]
    if len(harmonised):
        methods = ", ".join(sorted(harmonised["harmonise_method"].dropna().astype(str).unique()))
        st.caption(
            ctx.t("trend_harmonised_some", n=len(harmonised), total=len(years), methods=methods)
        )
    else:
        st.caption(ctx.t("trend_not_harmonised"))
    st.caption(f"**{ctx.t('trend_rule_label')}:** {view.rule.describe_nl()}")
    st.caption(ctx.t("trend_signal_off"))
    key, values = _sources(view)
    st.caption(ctx.t(key, **values))
    for note in view.notes:
        st.caption(note)


def render_profile(ctx: Context, code: str) -> None:
    """The trend part of the profile tab for one area."""
    view = current_view(ctx)
    if view is None:
        return
    st.markdown(f"#### {ctx.t('trend_heading', first=view.first, last=view.last)}")
    signal = _signal(ctx, "trend_signal_profile")
    themes = view.themes
    for start in range(0, len(themes), 2):
        cols = st.columns(2)
        for col, theme in zip(cols, themes[start : start + 2], strict=False):
            with col:
                data = area_lines(ctx, view, [code], theme)
                if not data.empty:
                    _chart(ctx, data, _label(ctx, theme))
                    if theme == STACKING_THEME:
                        st.caption(ctx.t("trend_stacking_only"))
                    elif theme_indicator(theme) not in RATE_INDICATORS.values():
                        st.caption(ctx.t("trend_count_only"))
                st.markdown(trend_sentence(ctx, _trend_row(view, code, theme), signal=signal))
    _footer(ctx, view)


def trend_table(
    ctx: Context, view: TrendView, codes: Sequence[str], *, signal: bool
) -> pd.DataFrame:
    """Slope, change, comparable and reason per area and theme (main indicator)."""
    names = ctx.names
    rows = []
    for theme in view.themes:
        for code in codes:
            row = _trend_row(view, code, theme)
            if row is None:
                continue
            entry = {
                "gebied": f"{names.get(code, code)} ({code})",
                "thema": ctx.t(f"trend_theme_{theme}"),
                "helling": row["slope"],
                "verandering": row["change"],
                "verandering_pct": None if pd.isna(row["change_rel"]) else 100 * row["change_rel"],
                "vergelijkbaar": bool(row["comparable"]),
                "reden": row["reason"] if not bool(row["comparable"]) else None,
            }
            if signal:
                entry["oplopend"] = None if pd.isna(row["trend_flag"]) else bool(row["trend_flag"])
            rows.append(entry)
    return pd.DataFrame(rows)


def render_compare(ctx: Context, codes: Sequence[str]) -> None:
    """The trend part of the compare tab: one chart per theme, a line per area, a table."""
    view = current_view(ctx)
    if view is None:
        return
    st.markdown(f"#### {ctx.t('trend_compare_heading', first=view.first, last=view.last)}")
    signal = _signal(ctx, "trend_signal_compare")
    themes = view.themes
    for start in range(0, len(themes), 2):
        cols = st.columns(2)
        for col, theme in zip(cols, themes[start : start + 2], strict=False):
            data = area_lines(ctx, view, list(codes), theme)
            if not data.empty:
                with col:
                    _chart(ctx, data, _label(ctx, theme))
    table = trend_table(ctx, view, list(codes), signal=signal)
    if not table.empty:
        st.dataframe(
            table,
            hide_index=True,
            width="stretch",
            column_config={
                "gebied": ctx.t("trend_col_area"),
                "thema": ctx.t("trend_col_theme"),
                "helling": st.column_config.NumberColumn(ctx.t("trend_col_slope"), format="%.1f"),
                "verandering": st.column_config.NumberColumn(
                    ctx.t("trend_col_change"), format="%.1f"
                ),
                "verandering_pct": st.column_config.NumberColumn(
                    ctx.t("trend_col_change_rel"), format="%.0f%%"
                ),
                "vergelijkbaar": st.column_config.CheckboxColumn(ctx.t("trend_col_comparable")),
                "reden": st.column_config.TextColumn(ctx.t("trend_col_reason"), width="large"),
                "oplopend": st.column_config.CheckboxColumn(ctx.t("trend_col_flag")),
            },
            placeholder=EMPTY,
        )
    _footer(ctx, view)


def print_series(ctx: Context, view: TrendView, code: str) -> pd.DataFrame:
    """The area's series for the printable profile, in Dutch: a row per indicator.

    Columns ``Reeks``, one per year, and ``Trend`` (the trend in words, or why none).
    """
    dutch = replace(ctx, lang="nl")
    rows = view.series[view.series["code"] == code]
    if rows.empty:
        return pd.DataFrame()
    years = list(range(int(rows["year"].min()), int(rows["year"].max()) + 1))
    out = []
    for theme in view.themes:
        for indicator in dict.fromkeys(rows.loc[rows["theme"] == theme, "indicator"]):
            mine = rows[rows["indicator"] == indicator].set_index("year")["value"]
            record: dict[str, Any] = {"Reeks": dutch.t(f"trend_ind_{indicator}")}
            record.update({str(y): mine.get(y, None) for y in years})
            hit = view.trends[
                (view.trends["code"] == code) & (view.trends["indicator"] == indicator)
            ]
            row = None if hit.empty else hit.iloc[0]
            record["Trend"] = trend_sentence(dutch, row, signal=False)
            out.append(record)
    return pd.DataFrame(out)


def print_note(view: TrendView) -> str:
    """The sentence under the printed series: comparability, the rule, the sources."""
    harmonised = bool(view.series["harmonised"].any())
    key, values = _sources(view)
    return " ".join(
        [
            "" if harmonised else t_nl("trend_not_harmonised"),
            "Trendregel: " + view.rule.describe_nl(),
            t_nl("trend_signal_off"),
            t_nl(key, **values),
        ]
    ).strip()
