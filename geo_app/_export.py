"""Export metadata (sources, settings, suppression) and the download buttons.

The file writers themselves live in ``layers.export`` (formula-injection safe
CSV/XLSX, GeoJSON/GeoPackage); this module only gathers what every export must
state and offers the downloads.
"""

from __future__ import annotations

import re
from typing import Any

import streamlit as st

from geo_app import _data
from geo_app._context import Context

__all__ = ["export_meta", "render_downloads", "SUPPRESSION_NL"]

SUPPRESSION_NL = (
    "Alleen geaggregeerde cijfers per gebied. Waarden die CBS geheimhoudt (kleine aantallen, "
    "gebieden met weinig inwoners) zijn leeg gelaten; kleine aantallen in eigen gegevens zijn "
    "onderdrukt volgens de regels van Stapelkaart."
)

_SCOPE_NL = {
    "gemeente": "gebieden in de gemeente",
    "selection": "gebieden in een set gemeenten",
    "national": "heel Nederland",
}


def export_meta(ctx: Context) -> dict[str, Any]:
    """Sources, analysis settings and suppression statement of the current view."""
    s = ctx.settings
    settings = {
        "Niveau": s["level"],
        "Indicatorprofiel": s["profile"],
        "Drempel 'hoog' (percentiel)": s["threshold"],
        "Vergelijken met": _SCOPE_NL.get(s["scope"], s["scope"]),
        "Clustermethode": f"{s['method']}, k = {s['k']}",
        "Significantieniveau hotspots": s["alpha"],
    }
    if s["scope"] == "selection":
        settings["Set gemeenten"] = ", ".join([ctx.loaded.code, *s.get("set", ())])
    if ctx.upload_names:
        settings["Eigen gegevens"] = ", ".join(ctx.upload_names)
    suppression = SUPPRESSION_NL
    try:
        from layers import disclosure  # type: ignore[attr-defined]

        describe = getattr(disclosure, "describe_nl", None)
        if callable(describe):
            suppression = str(describe())
    except ImportError:
        pass
    return {"sources": _data.sources(ctx.loaded), "settings": settings, "suppression": suppression}


def _base_name(ctx: Context) -> str:
    name = f"stapelkaart_{ctx.loaded.code}_{ctx.loaded.year}_{ctx.settings['level']}"
    return re.sub(r"[^A-Za-z0-9_-]+", "_", name)


def render_downloads(ctx: Context) -> None:
    """Offer the table as CSV, XLSX, GeoJSON and GeoPackage."""
    try:
        from layers import export  # type: ignore[attr-defined]
    except ImportError:
        st.info(ctx.t("export_unavailable"))
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
        data = _export_bytes(export, ctx, fmt, meta)
        col.download_button(
            ctx.t(label),
            data,
            file_name=f"{base}.{fmt}",
            mime=mime,
            key=f"dl_{fmt}",
            icon=":material/download:",
            on_click="ignore",
            width="stretch",
        )
    st.caption(ctx.t("export_note"))


def _export_bytes(export: Any, ctx: Context, fmt: str, meta: dict[str, Any]) -> bytes:
    writer = getattr(export, f"to_{fmt}_bytes")
    return writer(
        ctx.table,
        sources=meta["sources"],
        settings=meta["settings"],
        suppression=meta["suppression"],
    )
