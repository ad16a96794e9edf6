"""The Eigen data tab: the municipality's own aggregated figures (upload UI from ``trust``)."""

from __future__ import annotations

import streamlit as st

from geo_app._context import Context

__all__ = ["render"]


def render(ctx: Context) -> None:
    """Draw the upload tab."""
    st.markdown(ctx.t("upload_intro"))
    try:
        from geo_app.upload_view import render_upload  # type: ignore[import-not-found]
    except ImportError:
        st.info(ctx.t("upload_unavailable"))
        return
    render_upload(ctx)  # wiring settled when trust lands
