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
from geo_app.session import trends as _trends
from geo_app.session.context import Context
from layers import export
from layers.disclosure import DEFAULT_THRESHOLD, public_log
from layers.escape import escape_markdown
from layers.trend_export import SERIES_SHEET, series_export, series_metadata
from models.trends import SIGNAL_ON_BY_DEFAULT

__all__ = [
    "export_bytes",
    "export_frame",
    "export_meta",
    "may_export",
    "render_downloads",
    "series_export_table",
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


def series_export_table(ctx: Context) -> tuple[Any, dict[str, Any]] | None:
    """The series over the years as the role may export them, and their metadata.

    Only when this process already loaded them (the profile or compare tab did): an
    export never waits for CBS. None otherwise, or when the role may export no theme.
    """
    level = str(ctx.settings.get("level", ""))
    span = _trends.year_range(ctx.loaded.code, level) if level in ("wijk", "buurt") else None
    view = None if span is None else _trends.peek(ctx.loaded.code, level, *span)
    if view is None:
        return None
    view = _trends.for_role(view, ctx.role, purpose="export")
    if view.series.empty:
        return None
    signal = SIGNAL_ON_BY_DEFAULT or any(
        bool(st.session_state.get(k)) for k in ("trend_signal_profile", "trend_signal_compare")
    )
    table = series_export(view.series, view.trends, signal=signal)
    meta = series_metadata(
        sources=view.sources,
        rule_nl=view.rule.describe_nl(),
        signal=signal,
        first=view.first,
        last=view.last,
        notes=view.notes,
    )
    return table, meta


def export_bytes(
    ctx: Context,
    fmt: str,
    meta: dict[str, Any] | None = None,
    series: tuple[Any, dict[str, Any]] | None = None,
) -> bytes:
    """One export of the current view as bytes (``csv``, ``xlsx``, ``geojson``, ``gpkg``).

    ``series`` (:func:`series_export_table`) adds the series over the years as a sheet
    (XLSX) or table (GeoPackage), with the rule and CBS tables in the metadata.
    """
    meta = export_meta(ctx) if meta is None else meta
    writer = getattr(export, f"to_{fmt}_bytes")
    extra = {"onderdrukte_cellen": meta["suppressed_cells"]} if meta["suppressed_cells"] else {}
    if series is not None and fmt in ("xlsx", "gpkg"):
        extra = {**extra, **series[1], "extra_tables": {SERIES_SHEET: series[0]}}
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
    series = series_export_table(ctx)
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
                export_bytes(ctx, fmt, meta, series),
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
    if series is None:
        if _trends.year_range(ctx.loaded.code, str(ctx.settings.get("level", ""))):
            st.caption(ctx.t("trend_export_not_loaded"))
        return
    st.download_button(
        ctx.t("trend_download_csv"),
        _shared.audited(
            export.to_csv_bytes(
                series[0], sources=meta["sources"], settings=meta["settings"], **series[1]
            ),
            role=ctx.role,
            year=ctx.loaded.year,
            code=ctx.loaded.code,
            what=f"{base}_{SERIES_SHEET}.csv",
        ),
        file_name=f"{base}_{SERIES_SHEET}.csv",
        mime="text/csv",
        key="dl_series_csv",
        icon=":material/download:",
        on_click="ignore",
    )
    st.caption(ctx.t("trend_export_note"))
