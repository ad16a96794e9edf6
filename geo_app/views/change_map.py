"""The map layer "Verandering sinds <jaar>" (issue 12): change of a theme over the years.

The person chooses a theme and a period (settings ``thema``, ``van`` and ``tot``, kept in
the URL); the map colours each area by the change of the theme's main indicator from
``van`` to ``tot`` (:mod:`geo_app.mapview.change`: seven classes symmetric around 0).
Areas that cannot be compared (boundaries or code changed, no figure) are hatched
"geen vergelijking" with the reason in the tooltip; harmonised areas say so in the
tooltip. With the opt-in signal (off by default, :data:`models.trends.SIGNAL_ON_BY_DEFAULT`)
the areas that are *oplopend* over the period are outlined, with a legend row.

Only themes the role may see are offered (:func:`geo_app.session.trends.allowed_themes`)
and the series are filtered for the role before use. Per buurt CBS has only bijstand.
"""

from __future__ import annotations

from typing import Any

import folium
import pandas as pd
import streamlit as st

from cbs_ingest.series_tables import COUNT_INDICATORS, THEMES
from geo_app import mapview
from geo_app.mapview.change import signed_value
from geo_app.session import data as _data
from geo_app.session import state
from geo_app.session import trends as _trends
from geo_app.session.context import Context, bound, init_settings, settings
from geo_app.session.i18n import t
from geo_app.session.trends import TrendView, theme_indicator
from models.trends import SIGNAL_ON_BY_DEFAULT

__all__ = [
    "CHANGE_LAYER",
    "COUNT_FLOOR",
    "change_frame",
    "init_change_settings",
    "period_choices",
    "render_controls",
    "rising_codes",
    "build",
    "summary_line",
]

#: Key of the change layer among the map layers (sidebar and URL ``layer``).
CHANGE_LAYER = "verandering"
#: Smallest class step for a count: CBS rounds counts to 5, so ±5 is noise.
COUNT_FLOOR = 5.0

_BASEMAPS = {"pdok_grijs": "pdok-grijs", "osm": "osm", "none": "none"}
_UNITS = {c.name: c.unit for cols in THEMES.values() for c in cols}
_SIGNAL_KEY = "trend_signal_map"


def period_choices(code: str, level: str) -> tuple[list[int], list[int]]:
    """Choices of ``van`` (ascending) and ``tot`` (descending) for a gemeente and level.

    From the table registry (:func:`geo_app.session.trends.year_range`): ``van`` can be
    any year but the last, ``tot`` any year but the first. Empty without series.
    """
    span = _trends.year_range(code, level) if level in ("wijk", "buurt") else None
    if span is None or span[0] >= span[1]:
        return [], []
    first, last = span
    return list(range(first, last)), list(range(last, first, -1))


def init_change_settings(choices: dict[str, Any], *, role: Any, code: str, level: str) -> bool:
    """Give ``van``, ``tot`` and ``thema`` valid values; whether the change layer is offered.

    Read from the URL on a session's first run (bad values fall back with a notice,
    :func:`geo_app.session.context.init_settings`); reset when the gemeente or level
    no longer has them. Offered when there are years and a theme the role may see.
    """
    choices["van"], choices["tot"] = period_choices(code, level)
    choices["thema"] = _trends.allowed_themes(role, level) if choices["van"] else []
    init_settings(["van", "tot", "thema"], choices)
    values = settings()
    if values["van"] is not None and values["tot"] is not None and values["van"] >= values["tot"]:
        values["van"], values["tot"] = state.default("van", choices), state.default("tot", choices)
    return bool(choices["van"]) and bool(choices["thema"])


def change_frame(view: TrendView, theme: str, since: int) -> pd.DataFrame:
    """Per area of the view's level: the change of a theme since a year, and why not.

    Parameters
    ----------
    view
        The trend view (its ``last`` is the end of the change).
    theme
        A theme of the view.
    since
        The start year.

    Returns
    -------
    pandas.DataFrame
        Indexed by area code: ``start`` and ``end`` (values), ``change`` (NaN where
        there is no comparison), ``harmonised`` and ``reason`` (Dutch, None where
        compared).
    """
    indicator = theme_indicator(theme)
    series = view.series
    rows = series[(series["level"] == view.level) & (series["indicator"] == indicator)]
    codes = pd.Index(rows["code"].unique(), name="code")
    start = rows[rows["year"] == int(since)].set_index("code").reindex(codes)
    end = rows[rows["year"] == int(view.last)].set_index("code").reindex(codes)
    change = _trends.change_since(view, theme, int(since)).reindex(codes)
    reasons: list[str | None] = []
    for code in codes:
        if pd.notna(change.get(code)):
            reasons.append(None)
        elif pd.isna(start.at[code, "year"]):
            reasons.append(t("change_no_year", "nl", year=since))
        elif not bool(start.at[code, "comparable"]):
            reasons.append(str(start.at[code, "reason"]))
        elif pd.isna(start.at[code, "value"]):
            reasons.append(t("change_no_value", "nl", year=since))
        else:
            reasons.append(t("change_no_value", "nl", year=view.last))
    harmonised = start["harmonised"].fillna(False).astype(bool) | end["harmonised"].fillna(
        False
    ).astype(bool)
    return pd.DataFrame(
        {
            "start": start["value"].astype(float),
            "end": end["value"].astype(float),
            "change": change.astype(float),
            "harmonised": harmonised.to_numpy(dtype=bool),
            "reason": reasons,
        },
        index=codes,
    )


def rising_codes(view: TrendView, theme: str) -> list[str]:
    """Codes of the areas whose trend of the theme's main indicator is *oplopend*."""
    trends = view.trends
    hit = trends[
        (trends["theme"] == theme)
        & (trends["indicator"] == theme_indicator(theme))
        & (trends["trend_flag"] == True)  # noqa: E712 (object column with NaN)
    ]
    return [str(c) for c in hit["code"]]


def _since(view: TrendView, theme: str, van: int) -> int:
    """The start year: ``van``, or the theme's first year in the view if it starts later."""
    years = view.series.loc[view.series["theme"] == theme, "year"]
    return max(int(van), int(years.min())) if len(years) else int(van)


def render_controls(ctx: Context) -> None:
    """Theme, period and the signal opt-in above the map (settings ``thema``, ``van``, ``tot``)."""
    values = ctx.settings
    themes = list(ctx.choices.get("thema", ()))
    years = sorted({*ctx.choices.get("van", ()), *ctx.choices.get("tot", ())})
    a, b = st.columns([2, 3])
    bound(
        a.selectbox,
        "thema",
        ctx.t("change_theme"),
        options=themes,
        format_func=lambda th: ctx.t(f"trend_theme_{th}"),
    )
    # A range slider: its value (not session state) makes it a range. The key names the
    # years offered, so a new gemeente or level gets a fresh slider.
    period = f"w_periode_{years[0]}_{years[-1]}"

    def _period() -> None:
        chosen = st.session_state[period]
        if not isinstance(chosen, list | tuple) or len(chosen) != 2:
            return  # not a range (never from the widget itself)
        low, high = chosen
        if int(low) < int(high):
            settings()["van"], settings()["tot"] = int(low), int(high)

    b.select_slider(
        ctx.t("change_period"),
        options=years,
        value=(values["van"], values["tot"]),
        key=period,
        on_change=_period,
    )
    chosen = st.session_state.get(period)
    if isinstance(chosen, list | tuple) and len(chosen) == 2 and chosen[0] == chosen[1]:
        b.caption(ctx.t("change_same_year", first=values["van"], last=values["tot"]))
    st.checkbox(ctx.t("change_signal"), value=SIGNAL_ON_BY_DEFAULT, key=_SIGNAL_KEY)
    if ctx.settings["level"] == "buurt":
        st.caption(ctx.t("change_buurt_only"))


def _view(ctx: Context) -> TrendView | None:
    """The role's trend view of the chosen period, or None with a Dutch message shown."""
    values = ctx.settings
    code, level = ctx.loaded.code, values["level"]
    view = _trends.trend_view(code, level, values["van"], values["tot"])
    if view is None:
        st.info(_trends.no_series_message(code, level, values["van"], values["tot"], ctx.lang))
        return None
    view = _trends.for_role(view, ctx.role)
    if values["thema"] not in view.themes:
        st.info(
            ctx.t(
                "change_theme_missing",
                theme=ctx.t(f"trend_theme_{values['thema']}"),
                first=values["van"],
                last=values["tot"],
            )
        )
        return None
    return view


def _notes(ctx: Context, frame: pd.DataFrame, unit: str, since: int, last: int) -> pd.Series:
    """Tooltip line per area: the two values, harmonised, or why there is no comparison."""
    english = ctx.lang == "en"
    decimals = 0 if unit == "count" else 1
    notes = {}
    for code, row in frame.iterrows():
        if isinstance(row["reason"], str):
            notes[code] = ctx.t("change_why_not", reason=row["reason"])
            continue
        text = ctx.t(
            "change_values",
            first=mapview.format_value(row["start"], unit, decimals=decimals, english=english),
            since=since,
            last_value=mapview.format_value(row["end"], unit, decimals=decimals, english=english),
            last=last,
        )
        if row["harmonised"]:
            text += " · " + ctx.t("change_harmonised", last=last)
        notes[code] = text
    return pd.Series(notes, dtype=object)


def build(ctx: Context) -> tuple[folium.Map | None, str]:
    """The change map and its title ("Verandering sinds <jaar>"), or None and a title.

    Shows Dutch notices above the map (why a theme starts later, no series, no rising
    area) as Streamlit elements.
    """
    values = ctx.settings
    view = _view(ctx)
    if view is None:
        return None, ctx.t("layer_verandering")
    theme = values["thema"]
    since = _since(view, theme, values["van"])
    title = ctx.t("change_title", since=since)
    if since >= view.last:
        st.info(ctx.t("change_too_short", theme=ctx.t(f"trend_theme_{theme}"), last=view.last))
        return None, title
    if since > int(values["van"]):
        st.caption(ctx.t("change_starts_later", theme=ctx.t(f"trend_theme_{theme}"), since=since))
    indicator = theme_indicator(theme)
    unit = _UNITS.get(indicator, "")
    frame = change_frame(view, theme, since)
    geometry = _data.geometry(ctx.loaded.year, ctx.loaded.code, values["level"], ctx.request)
    notes = _notes(ctx, frame, unit, since, view.last)
    absent = geometry.loc[~geometry["code"].isin(frame.index), "code"]
    notes = pd.concat([notes, pd.Series(ctx.t("change_no_series"), index=absent, dtype=object)])
    signal = bool(st.session_state.get(_SIGNAL_KEY, SIGNAL_ON_BY_DEFAULT))
    rising = rising_codes(view, theme) if signal else []
    if signal and not rising:
        st.caption(ctx.t("change_none_rising"))
    words = mapview.map_texts(ctx.lang)
    words |= {"missing": ctx.t("change_missing"), "no_data": ctx.t("change_missing")}
    fmap = mapview.build_map(
        geometry,
        frame["change"].reindex(geometry["code"]).set_axis(geometry["code"].to_numpy()),
        title=title,
        unit=unit,
        kind="change",
        change_floor=COUNT_FLOOR if indicator in COUNT_INDICATORS.values() else 0.0,
        notes=notes,
        stacking=rising,
        stacking_label=ctx.t("change_rising"),
        selected_label=ctx.t("map_selected"),
        basemap=_BASEMAPS[values["basemap"]],
        # the demo's series are fictitious: never credit CBS for them
        attribution=ctx.t("map_attribution_demo" if ctx.loaded.demo else "change_attribution"),
        note=ctx.t(
            "change_note",
            indicator=ctx.t(f"trend_ind_{indicator}"),
            since=since,
            last=view.last,
        ),
        texts=words,
        height=620,
    )
    return fmap, title


def summary_line(ctx: Context, code: str) -> str | None:
    """The selected area's change in words for the side panel (None if not available)."""
    values = ctx.settings
    view = _trends.peek(ctx.loaded.code, values["level"], values["van"], values["tot"])
    if view is None:
        return None
    view = _trends.for_role(view, ctx.role)
    theme = values["thema"]
    if theme not in view.themes:
        return None
    since = _since(view, theme, values["van"])
    if since >= view.last:
        return None
    frame = change_frame(view, theme, since)
    if code not in frame.index:
        return f"{ctx.t('change_title', since=since)}: {ctx.t('change_no_series')}"
    row = frame.loc[code]
    if isinstance(row["reason"], str):
        return (
            f"{ctx.t('change_title', since=since)}: {ctx.t('change_why_not', reason=row['reason'])}"
        )
    indicator = theme_indicator(theme)
    unit = _UNITS.get(indicator, "")
    shown = signed_value(
        float(row["change"]), unit, decimals=0 if unit == "count" else 1, english=ctx.lang == "en"
    )
    return f"{ctx.t('change_title', since=since)}: **{shown}**"
