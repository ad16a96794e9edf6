"""The Vergelijken tab: two or more areas side by side."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo_app._context import Context, bound
from geo_app.profile_report import compare_table, format_value, percentile_ranks

__all__ = ["render"]


def render(ctx: Context) -> None:
    """Draw the compare tab."""
    names = ctx.names
    bound(
        st.multiselect,
        "cmp",
        ctx.t("compare_pick"),
        options=sorted(names, key=names.get),
        format_func=lambda c: f"{names[c]} ({c})",
        max_selections=8,
        to_widget=list,
        from_widget=tuple,
    )
    codes = list(ctx.settings["cmp"])
    if len(codes) < 2:
        st.info(ctx.t("compare_hint"))
        return
    wide = compare_table(ctx.table, codes, ctx.infos)
    shown = wide.apply(lambda col: col.map(format_value))
    st.dataframe(shown, width="stretch")

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
    st.bar_chart(
        pd.DataFrame(long),
        x="indicator",
        y="percentiel",
        color="gebied",
        horizontal=True,
        stack=False,
        height=max(320, 28 * len(labels) * len(codes) // 2),
        x_label="",
        y_label="",
    )
