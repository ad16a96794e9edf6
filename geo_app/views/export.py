"""Export metadata (sources, settings, suppression) and the download buttons.

The file writers themselves live in ``layers.export`` (formula-injection safe
CSV/XLSX, GeoJSON/GeoPackage); this module only gathers what every export must
state and offers the downloads.
"""

from __future__ import annotations

import re
from typing import Any

import streamlit as st

from geo_app.access.resolve import filter_table, visible
from geo_app.session import data as _data
from geo_app.session import own_data as _own_data
from geo_app.session import shared as _shared
from geo_app.session.context import Context
from layers import export
from layers.disclosure import DEFAULT_THRESHOLD, public_log
from layers.escape import escape_markdown

__all__ = [
    "export_bytes",
    "export_frame",
    "export_meta",
    "may_export",
    "render_downloads",
]

_SCOPE_NL = {
    "gemeente": "gebieden in de gemeente",
    "selection": "gebieden in een set gemeenten",
    "national": "heel Nederland",
}


def export_meta(ctx: Context) -> dict[str, Any]:
    """Sources, analysis settings and the suppression actually applied in the current view."""
    s = ctx.settings
    settings = {
        "Niveau": s["level"],
        "Indicatorprofiel": s["profile"],
        "Drempel 'hoog' (percentiel)": s["threshold"],
        "Vergelijken met": _SCOPE_NL.get(s["scope"], s["scope"]),
        "Clustermethode": f"{s['method']}, k = {s['k']}",
        "Significantieniveau hotspots": s["alpha"],
        "Rol": ctx.role.label,
    }
    done = ctx.result.settings if ctx.result is not None else {}
    settings["Rangorde op"] = (
        "gladgestreken cijfers (empirical Bayes, naar het niveau van de gemeente)"
        if str(done.get("smoothing", "")).startswith("empirical")
        else "ruwe cijfers; gladgestreken cijfers staan ernaast"
    )
    resamples = int(done.get("resamples") or 0)
    settings["Zekerheid van de rangorde"] = (
        f"{resamples} redelijke varianten (drempel P75-P85, z of percentiel, gewichten ±25 %, "
        "inkomen één of twee keer, ruis en CBS-afronding in de aantallen); interval 5-95 %"
        if resamples
        else "nog niet berekend"
    )
    if s["scope"] == "selection":
        settings["Set gemeenten"] = ", ".join([ctx.loaded.code, *s.get("set", ())])
    if ctx.upload_names:
        settings["Eigen gegevens"] = ", ".join(ctx.upload_names)
    suppression = _own_data.describe(ctx.upload, DEFAULT_THRESHOLD)
    cells = []
    if ctx.upload is not None:
        # Only columns the role may export: which areas have a hidden (small) count in a
        # column it may not download is information about that column too.
        cells = [
            f"{r.code} {r.column}: {r.explanation_nl}"
            for r in public_log(ctx.upload["log"]).itertuples(index=False)
            if visible(ctx.role, str(r.column), purpose="export")
        ]
    return {
        "sources": _data.sources(ctx.loaded),
        "settings": settings,
        "suppression": suppression,
        "suppressed_cells": cells,
    }


def _base_name(ctx: Context) -> str:
    name = f"stapelkaart_{ctx.loaded.code}_{ctx.loaded.year}_{ctx.settings['level']}"
    return re.sub(r"[^A-Za-z0-9_-]+", "_", name)


def may_export(ctx: Context) -> bool:
    """Whether the role may download data at the current level."""
    return ctx.role.may_see(level=ctx.settings["level"], purpose="export")


def export_frame(ctx: Context):
    """The protected table as the role may export it."""
    return filter_table(ctx.table, ctx.role, purpose="export")


def export_bytes(ctx: Context, fmt: str, meta: dict[str, Any] | None = None) -> bytes:
    """One export of the current view as bytes (``csv``, ``xlsx``, ``geojson``, ``gpkg``)."""
    meta = export_meta(ctx) if meta is None else meta
    writer = getattr(export, f"to_{fmt}_bytes")
    extra = {"onderdrukte_cellen": meta["suppressed_cells"]} if meta["suppressed_cells"] else {}
    return writer(
        export_frame(ctx),
        sources=meta["sources"],
        settings=meta["settings"],
        suppression=meta["suppression"],
        **extra,
    )


def render_downloads(ctx: Context) -> None:
    """Offer the table as CSV, XLSX, GeoJSON and GeoPackage (as far as the role may)."""
    if not may_export(ctx):
        st.info(ctx.t("export_not_allowed", role=escape_markdown(ctx.role.label)))
        return
    meta = export_meta(ctx)
    base = _base_name(ctx)
    formats = (
        ("csv", "dl_csv", "text/csv"),
        ("xlsx", "dl_xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("geojson", "dl_geojson", "application/geo+json"),
        ("gpkg", "dl_gpkg", "application/geopackage+sqlite3"),
    )
    cols = st.columns(len(formats))
    for col, (fmt, label, mime) in zip(cols, formats, strict=True):
        col.download_button(
            ctx.t(label),
            _shared.audited(  # handed out on click, and recorded in the audit log then
                export_bytes(ctx, fmt, meta),
                role=ctx.role,
                year=ctx.loaded.year,
                code=ctx.loaded.code,
                what=f"{base}.{fmt}",
            ),
            file_name=f"{base}.{fmt}",
            mime=mime,
            key=f"dl_{fmt}",
            icon=":material/download:",
            on_click="ignore",
            width="stretch",
        )
    st.caption(ctx.t("export_note"))
