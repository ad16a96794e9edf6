"""The sidebar: language, data choice and fetching, map display and analysis settings.

:func:`build_context` draws the sidebar and returns the :class:`Context` that
every page reads. Data loading and the analysis are cached in ``_data``.
"""

from __future__ import annotations

import re
from typing import Any

import streamlit as st

from cbs_ingest.columns import KWB_TABLES
from cbs_ingest.demo import DEMO_GEMEENTE_CODE
from cbs_ingest.errors import StapelkaartError
from geo_app import _data
from geo_app._context import Context, bound, init_settings, settings
from geo_app.i18n import LANGUAGES, t

__all__ = ["build_context", "analysis_options", "PROFILES", "METHODS"]

_GM = re.compile(r"^GM[0-9]{4}$")


def _models_attr(name: str, fallback: tuple[str, ...]) -> tuple[str, ...]:
    try:
        import models

        value = getattr(models, name, None)
    except ImportError:  # pragma: no cover - models is part of the project
        value = None
    if not value:
        return fallback
    return tuple(value.keys()) if isinstance(value, dict) else tuple(value)


#: Indicator profiles and clustering methods offered (from ``models`` when it lists them).
PROFILES: tuple[str, ...] = _models_attr("PROFILES", ("default",))
METHODS: tuple[str, ...] = _models_attr("CLUSTER_METHODS", ("kmeans", "ward"))

_PROFILE_NL = {"default": "Standaard (alle thema's)"}
_METHOD_NL = {
    "kmeans": "k-means",
    "ward": "Hiërarchisch (Ward)",
    "agglomerative": "Hiërarchisch (Ward)",
}


def analysis_options(values: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    """The analysis settings as a hashable, sorted tuple (the analysis cache key)."""
    options = {
        "profile": values["profile"],
        "threshold": values["threshold"],
        "scope": values["scope"],
        "cluster_method": values["method"],
        "k": values["k"],
        "alpha": values["alpha"],
    }
    return tuple(sorted(options.items()))


def _fetch_section(lang: str) -> None:
    with st.sidebar.expander(t("fetch_header", lang)):
        with st.form("fetch", border=False):
            code = st.text_input(t("fetch_code", lang), max_chars=6).strip().upper()
            years = sorted(KWB_TABLES, reverse=True)
            year = st.selectbox(t("year", lang), years)
            submitted = st.form_submit_button(t("fetch_button", lang))
        if not submitted:
            return
        if not _GM.match(code):
            st.error(
                "Geef een gemeentecode als GM0505 (GM en vier cijfers)."
                if lang == "nl"
                else "Enter a municipality code like GM0505 (GM and four digits)."
            )
            return
        with st.status(t("fetch_running", lang), expanded=True) as status:
            bar = st.progress(0.0)

            def _progress(fraction: float, message: str) -> None:
                bar.progress(min(max(float(fraction), 0.0), 1.0), text=str(message))

            try:
                _data.fetch(int(year), code, _progress)
            except StapelkaartError as exc:
                status.update(label=t("fetch_failed", lang), state="error")
                st.error(exc.nl)
                return
            status.update(label=t("fetch_done", lang), state="complete")
        values = settings()
        values["gm"], values["year"] = code, int(year)
        st.rerun()


def _load(values: dict[str, Any], lang: str) -> _data.Loaded:
    try:
        return _data.load(int(values["year"]), values["gm"])
    except StapelkaartError as exc:
        st.error(exc.nl)
    values["gm"], values["year"] = DEMO_GEMEENTE_CODE, _data.datasets()[-1].year
    return _data.load(values["year"], values["gm"])


def build_context() -> Context:
    """Draw the sidebar, load data, run the analysis and return the context."""
    sb = st.sidebar
    values = settings()
    init_settings(["lang"], {})
    bound(
        sb.segmented_control,
        "lang",
        "Taal / language",
        options=list(LANGUAGES),
        format_func=LANGUAGES.get,
        selection_mode="single",
        from_widget=lambda v: v or "nl",
    )
    lang = values["lang"]
    tt = lambda key, **kw: t(key, lang, **kw)  # noqa: E731

    sb.header(tt("sb_data"))
    all_sets = _data.datasets()
    gm_names = {d.code: d.name for d in all_sets}
    choices: dict[str, Any] = {"gm": list(gm_names), "profile": PROFILES, "method": METHODS}
    init_settings(["gm"], choices)
    choices["year"] = sorted({d.year for d in all_sets if d.code == values["gm"]}, reverse=True)
    static = [
        "year",
        "level",
        "scheme",
        "classes",
        "wijken",
        "basemap",
        "profile",
        "threshold",
        "scope",
        "method",
        "k",
        "alpha",
        "tab",
    ]
    init_settings(static, choices)

    bound(sb.selectbox, "gm", tt("gemeente"), options=choices["gm"], format_func=gm_names.get)
    choices["year"] = sorted({d.year for d in all_sets if d.code == values["gm"]}, reverse=True)
    init_settings(["year"], choices)
    bound(sb.selectbox, "year", tt("year"), options=choices["year"])
    _fetch_section(lang)

    loaded = _load(values, lang)
    levels = [lv for lv in ("buurt", "wijk") if lv in loaded.frames and len(loaded.frames[lv])]
    choices["level"] = levels
    init_settings(["level"], choices)

    upload = st.session_state.get("upload", {}).get((loaded.year, loaded.code, values["level"]))
    table, result = _data.analyse(
        loaded.year,
        loaded.code,
        values["level"],
        analysis_options(values),
        upload_key=upload["key"] if upload else "",
        _frame=upload["frame"] if upload else None,
    )
    analysed = result is not None and "stacking_score" in table.columns
    infos = _data.indicators(table.columns)
    layers: dict[str, str] = {}
    if analysed:
        for key in ("stacking_score", "themes_high", "cluster_label", "hotspot"):
            if key in table.columns:
                layers[key] = tt(f"layer_{key}")
    layers |= {i.key: i.label for i in infos if table[i.key].notna().any()}
    codes = list(table["code"])
    choices |= {"layer": list(layers), "area": codes, "cmp": codes}
    init_settings(["layer", "area", "cmp"], choices)

    sb.header(tt("sb_map"))
    bound(
        sb.radio,
        "level",
        tt("level"),
        options=levels,
        format_func=lambda v: tt(f"level_{v}"),
        horizontal=True,
    )
    bound(sb.selectbox, "layer", tt("layer"), options=list(layers), format_func=layers.get)
    bound(
        sb.selectbox,
        "scheme",
        tt("scheme"),
        options=list(state_choices("scheme")),
        format_func=lambda v: tt(f"scheme_{v}"),
    )
    bound(sb.slider, "classes", tt("n_classes"), min_value=3, max_value=9)
    bound(sb.toggle, "wijken", tt("show_wijken"))
    bound(
        sb.radio,
        "basemap",
        tt("basemap"),
        options=list(state_choices("basemap")),
        format_func=lambda v: tt(f"basemap_{v}"),
        horizontal=True,
    )

    sb.header(tt("sb_analysis"))
    bound(
        sb.selectbox,
        "profile",
        tt("profile"),
        options=list(PROFILES),
        format_func=lambda v: _PROFILE_NL.get(v, v),
    )
    bound(
        sb.slider,
        "threshold",
        tt("threshold"),
        min_value=50,
        max_value=95,
        step=5,
        help=tt("threshold_help"),
    )
    bound(
        sb.radio,
        "scope",
        tt("scope"),
        options=["gemeente", "national"],
        format_func=lambda v: tt(f"scope_{v}"),
    )
    bound(
        sb.selectbox,
        "method",
        tt("cluster_method"),
        options=list(METHODS),
        format_func=lambda v: _METHOD_NL.get(v, v),
    )
    bound(sb.slider, "k", tt("n_clusters"), min_value=2, max_value=8)
    bound(sb.select_slider, "alpha", tt("alpha"), options=[0.01, 0.05, 0.1])
    sb.caption(tt("share_link"))

    return Context(
        lang=lang,
        settings=values,
        loaded=loaded,
        table=table,
        infos=infos,
        layers=layers,
        analysed=analysed,
        result=result,
        choices=choices,
        upload_names=upload["names"] if upload else [],
    )


def state_choices(name: str) -> tuple[Any, ...]:
    """The fixed choices of a setting."""
    from geo_app.state import SPECS

    return SPECS[name].choices or ()
