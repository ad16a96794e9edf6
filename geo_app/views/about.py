"""The Over tab: sources, method in short, privacy, and the data now shown."""

from __future__ import annotations

import streamlit as st

from geo_app.session import data as _data
from geo_app.session.context import Context
from geo_app.views.export import export_meta

__all__ = ["render"]


def render(ctx: Context) -> None:
    """Draw the about tab."""
    st.markdown(ctx.t("about_md"))
    st.markdown(f"#### {ctx.t('about_data')}")
    meta = export_meta(ctx)
    lines = [f"- **{k}**: {v}" for k, v in _data.sources(ctx.loaded).items()]
    lines += [f"- **{k}**: {v}" for k, v in meta["settings"].items()]
    st.markdown("\n".join(lines))
    st.caption(meta["suppression"])
