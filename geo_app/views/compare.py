"""The Vergelijken tab: two or more areas side by side."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo_app.session.context import Context, bound
from geo_app.session.i18n import EMPTY
from geo_app.views import trends as _trend_view
from geo_app.views.profile_report import compare_table, format_value, percentile_ranks

__all__ = ["render"]

#: Okabe-Ito colours (colour-blind safe), one per compared area.
_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]


def render(ctx: Context) -> None:
    """Draw the compare tab."""
    names = ctx.names
    bound(
        st.multiselect,
        "cmp",
        ctx.t("compare_pick"),
        options=sorted(names, key=lambda c: names[c]),
        format_func=lambda c: f"{names[c]} ({c})",
        max_selections=8,
        placeholder=ctx.t("compare_placeholder"),
        to_widget=list,
        from_widget=tuple,
    )
    codes = list(ctx.settings["cmp"])
    if len(codes) < 2:
        st.info(ctx.t("compare_hint"))
        return
    wide = compare_table(ctx.table, codes, ctx.infos)
    shown = wide.apply(lambda col: col.map(lambda v: format_value(v, lang=ctx.lang)))
    st.dataframe(shown, width="stretch", height=35 * (len(shown) + 1) + 3, placeholder=EMPTY)

    ranks = percentile_ranks(ctx.table, [i.key for i in ctx.infos])
    labels = {i.key: i.label for i in ctx.infos}
    rows = ctx.table["code"].isin(codes)
    long = (
        ranks[rows]
        .assign(gebied=ctx.table.loc[rows, "name"].to_numpy())
        .melt(id_vars="gebied", var_name="key", value_name="percentiel")
        .dropna()
    )
    long["indicator"] = long["key"].map(labels)
    st.markdown(f"**{ctx.t('percentile_chart')}**")
    import altair as alt  # here, not at the top: the first map does not wait for it

    order = [i.label for i in ctx.infos if i.label in set(long["indicator"])]
    n_areas = len(codes)
    chart = (
        alt.Chart(pd.DataFrame(long))
        .mark_bar(height=max(4, 18 // n_areas))
        .encode(
            x=alt.X("percentiel:Q", scale=alt.Scale(domain=[0, 100]), title=None),
            y=alt.Y("indicator:N", sort=order, title=None, axis=alt.Axis(labelLimit=420)),
            yOffset=alt.YOffset("gebied:N"),
            color=alt.Color(
                "gebied:N",
                title=None,
                legend=alt.Legend(orient="top", labelLimit=300),
                scale=alt.Scale(range=_COLOURS),
            ),
            tooltip=["gebied:N", "indicator:N", "percentiel:Q"],
        )
        .properties(height=max(240, (8 + 10 * n_areas) * len(order)))
    )
    st.altair_chart(chart, width="stretch")
    _trend_view.render_compare(ctx, codes)
