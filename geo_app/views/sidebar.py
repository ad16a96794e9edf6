"""The sidebar: language, data choice and fetching, map display and analysis settings.

:func:`build_context` draws the sidebar and returns the :class:`Context` that
every page reads. Data loading and the analysis are cached in ``_data``.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import streamlit as st

from cbs_ingest.columns import KWB_TABLES
from cbs_ingest.demo import DEMO_GEMEENTE_CODE
from cbs_ingest.errors import StapelkaartError
from geo_app.access.resolve import filter_table, visible
from geo_app.access.roles import LOCAL_ROLE, Role, allowed_datasets
from geo_app.session import analysis
from geo_app.session import data as _data
from geo_app.session import shared as _shared
from geo_app.session.context import Context, bound, init_settings, settings
from geo_app.session.i18n import INDICATOR_LABELS_EN, LANGUAGES, t
from geo_app.session.state import SPECS
from geo_app.views.change_map import CHANGE_LAYER, init_change_settings
from layers import PROFILES
from layers.indicators import get_indicator
from models import METHODS

__all__ = ["analysis_options", "build_context"]

_GM = re.compile(r"^GM[0-9]{4}$")
#: Session key of the message of a gemeente-year that could not be loaded.
_LOAD_ERROR = "load_error"
#: Layers that need the clusters or hotspots (not shown before they are computed).
_LATER_LAYERS = ("cluster_label", "hotspot")
_SPECIAL_LAYERS = ("stacking_score", "themes_high", "cluster_label", "hotspot")


def analysis_options(values: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    """The analysis settings as a hashable, sorted tuple (the analysis cache key)."""
    options = {
        "profile": values["profile"],
        "threshold": values["threshold"],
        "scope": values["scope"],
        "members": tuple(values["set"]) if values["scope"] == "selection" else (),
        "cluster_method": values["method"],
        "k": values["k"],
        "alpha": values["alpha"],
    }
    return tuple(sorted(options.items()))


def _fetch_section(lang: str) -> None:
    with st.sidebar.expander(t("fetch_header", lang)):
        with st.form("fetch", border=False):
            code = st.text_input(t("fetch_code", lang), max_chars=6, key="fetch_code")
            code = code.strip().upper()
            year = st.selectbox(t("year", lang), sorted(KWB_TABLES, reverse=True), key="fetch_year")
            submitted = st.form_submit_button(t("fetch_button", lang), key="fetch_submit")
        if not submitted:
            return
        if not _GM.match(code):
            st.error(t("fetch_bad_code", lang))
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


def _dataset(values: dict[str, Any]) -> _data.Dataset:
    for entry in _data.datasets():
        if entry.code == values["gm"] and entry.year == values["year"]:
            return entry
    return _data.datasets()[-1]


def _load(values: dict[str, Any]) -> tuple[_data.Loaded, _data.Dataset]:
    """Load the chosen gemeente-year; on failure fall back to the demo gemeente.

    The failure's message stays on screen (also after the rerun that completes
    the analysis) until the person picks a gemeente again.
    """
    entry = _dataset(values)
    try:
        return _data.load(entry.year, entry.code, entry.request), entry
    except StapelkaartError as exc:
        st.session_state[_LOAD_ERROR] = exc.nl
    demo = _data.datasets()[-1]
    values["gm"], values["year"] = DEMO_GEMEENTE_CODE, demo.year
    return _data.load(demo.year, demo.code, demo.request), demo


def _forget_load_error() -> None:
    st.session_state.pop(_LOAD_ERROR, None)


def _data_section(
    values: dict[str, Any], choices: dict[str, Any], lang: str
) -> tuple[_data.Loaded, _data.Dataset]:
    """Load the chosen gemeente-year, then draw the picker showing what was loaded.

    Loading comes first: when it fails, the picker shows the demo gemeente the
    map falls back to, never the gemeente that could not be loaded.
    """
    sb = st.sidebar
    all_sets = _data.datasets()
    gm_names = {d.code: d.name for d in all_sets}
    choices["gm"] = list(gm_names)
    init_settings(["gm"], choices)
    choices["year"] = sorted({d.year for d in all_sets if d.code == values["gm"]}, reverse=True)
    init_settings(["year"], choices)
    loaded, entry = _load(values)
    if loaded.demo and st.session_state.get(_LOAD_ERROR):
        st.error(st.session_state[_LOAD_ERROR])
    choices["year"] = sorted({d.year for d in all_sets if d.code == values["gm"]}, reverse=True)
    sb.header(t("sb_data", lang))
    bound(
        sb.selectbox,
        "gm",
        t("gemeente", lang),
        options=choices["gm"],
        format_func=gm_names.get,
        on_change=_forget_load_error,
    )
    bound(sb.selectbox, "year", t("year", lang), options=choices["year"])
    _fetch_section(lang)
    return loaded, entry


def scope_choices(loaded: _data.Loaded, upload: bool) -> tuple[list[str], list[str], list[str]]:
    """Comparison scopes available for the loaded gemeente-year.

    Returns the scopes, the other cached gemeenten of the same year (members of
    a ``selection``), and the i18n keys of notes saying why a scope is missing.
    """
    others = [
        d.code
        for d in _data.datasets()
        if d.year == loaded.year and d.code not in (loaded.code, DEMO_GEMEENTE_CODE)
    ]
    scopes, notes = ["gemeente"], []
    if loaded.demo:
        return scopes, [], ["scope_note_demo"]
    if upload:
        return scopes, [], ["scope_note_upload"]
    if others:
        scopes.append("selection")
    else:
        notes.append("scope_note_selection")
    if loaded.year in _data.national_years():
        scopes.append("national")
    else:
        notes.append("scope_note_national")
    return scopes, others, notes


def _scope_section(values: dict[str, Any], choices: dict[str, Any], lang: str) -> None:
    sb = st.sidebar
    bound(
        sb.radio,
        "scope",
        t("scope", lang),
        options=list(choices["scope"]),
        format_func=lambda v: t(f"scope_{v}", lang),
    )
    if values["scope"] == "selection":
        names = {d.code: d.name for d in _data.datasets()}
        bound(
            sb.multiselect,
            "set",
            t("scope_members", lang),
            options=list(choices["set"]),
            format_func=lambda c: names.get(c, c),
            placeholder=t("scope_members_placeholder", lang),
            to_widget=list,
            from_widget=tuple,
        )
    for key in choices.get("scope_notes", ()):
        sb.caption(t(key, lang, year=values["year"]))


def _analysis_section(values: dict[str, Any], choices: dict[str, Any], lang: str) -> None:
    sb = st.sidebar
    sb.header(t("sb_analysis", lang))
    bound(
        sb.selectbox,
        "profile",
        t("profile", lang),
        options=list(PROFILES),
        format_func=lambda k: PROFILES[k].name_nl,
    )
    prof = PROFILES[values["profile"]]
    sb.caption(prof.description_nl)
    percentile = any(th.threshold.kind == "percentile" for th in prof.themes)
    bound(
        sb.slider,
        "threshold",
        t("threshold", lang),
        min_value=50,
        max_value=95,
        step=5,
        help=t("threshold_help", lang),
        disabled=not percentile,
    )
    _scope_section(values, choices, lang)
    bound(
        sb.selectbox,
        "method",
        t("cluster_method", lang),
        options=list(METHODS),
        format_func=METHODS.get,
    )
    bound(
        sb.select_slider,
        "k",
        t("n_clusters", lang),
        options=list(SPECS["k"].choices or ()),
        format_func=lambda v: t("auto", lang) if v == 0 else str(v),
    )
    bound(sb.select_slider, "alpha", t("alpha", lang), options=[0.01, 0.05, 0.1])


def _map_section(
    values: dict[str, Any], levels: list[str], layers: dict[str, str], lang: str
) -> None:
    sb = st.sidebar
    sb.header(t("sb_map", lang))
    bound(
        sb.radio,
        "level",
        t("level", lang),
        options=levels,
        format_func=lambda v: t(f"level_{v}", lang),
        horizontal=True,
    )
    bound(sb.selectbox, "layer", t("layer", lang), options=list(layers), format_func=layers.get)
    fixed = values["layer"] == CHANGE_LAYER  # the change layer's classes are fixed around 0
    bound(
        sb.selectbox,
        "scheme",
        t("scheme", lang),
        options=list(SPECS["scheme"].choices or ()),
        format_func=lambda v: t(f"scheme_{v}", lang),
        disabled=fixed,
    )
    bound(sb.slider, "classes", t("n_classes", lang), min_value=3, max_value=9, disabled=fixed)
    bound(sb.toggle, "wijken", t("show_wijken", lang), disabled=values["level"] != "buurt")
    bound(
        sb.radio,
        "basemap",
        t("basemap", lang),
        options=list(SPECS["basemap"].choices or ()),
        format_func=lambda v: t(f"basemap_{v}", lang),
        horizontal=True,
    )


def language() -> str:
    """Draw the language switch; return the language of this run."""
    values = settings()
    init_settings(["lang"], {})
    bound(
        st.sidebar.segmented_control,
        "lang",
        "Taal / language",
        options=list(LANGUAGES),
        format_func=LANGUAGES.get,
        selection_mode="single",
        from_widget=lambda v: v or "nl",
    )
    return values["lang"]


def _map_first(values: dict[str, Any]) -> bool:
    """Whether this run may draw the stacking map before clusters and hotspots exist.

    Only on the map tab, without a selected area and with a layer that does
    not need them (the settings of a shared link are read from the URL).
    """
    params = st.query_params
    layer = values.get("layer") or params.get("layer")
    area = values.get("area") or params.get("area")
    return values.get("tab") == "kaart" and layer not in _LATER_LAYERS and not area


def _complete(args: tuple[Any, ...], lang: str) -> None:
    """Run the whole analysis (cached), then rerun the page with it."""
    with st.spinner(t("analysis_completing", lang)):
        analysis.analyse(*args, stage="full")
    st.rerun()


def build_context(role: Role = LOCAL_ROLE, lang: str | None = None) -> Context:
    """Draw the sidebar, load data, run the analysis and return the context.

    Only the levels, indicators and own datasets ``role`` may see are offered.
    ``lang`` is the language already chosen with :func:`language` in this run
    (None: draw the switch here).
    """
    values = settings()
    lang = language() if lang is None else lang
    choices: dict[str, Any] = {
        "profile": list(PROFILES),
        "method": list(METHODS),
        "scope": list(SPECS["scope"].choices or ()),
    }
    init_settings(
        [
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
        ],
        choices,
    )
    loaded, entry = _data_section(values, choices, lang)
    levels = [
        lv for lv in ("buurt", "wijk") if len(loaded.frames.get(lv, ())) and role.may_see(level=lv)
    ]
    choices["level"] = levels
    init_settings(["level"], choices)
    change = init_change_settings(choices, role=role, code=loaded.code, level=values["level"])

    _shared.sync(loaded.year, loaded.code, loaded.frames, role)  # datasets stored by anyone
    with st.sidebar:  # an empty block; in the main area it would shift the map
        _shared.watch(loaded.year, loaded.code)  # ... and changed later, without a click
    upload = st.session_state.get("upload", {}).get((loaded.year, loaded.code, values["level"]))
    if upload and allowed_datasets(upload["names"], role) != list(upload["names"]):
        upload = None  # a dataset this role may not see is not joined at all
    scopes, others, notes = scope_choices(loaded, bool(upload))
    choices |= {"scope": scopes, "set": others, "scope_notes": notes}
    init_settings(["scope", "set"], choices)
    options = analysis_options(values)
    args = (loaded.year, loaded.code, values["level"], options, entry.request)
    first = not upload and _map_first(values) and not analysis.is_cached(*args, stage="full")
    if first:
        # Stacking scores only: the map is drawn before clusters and hotspots
        # are computed; app.py completes the analysis afterwards and reruns.
        table, result = analysis.analyse(*args, stage="first")
    else:
        table, result = analysis.analyse(
            *args,
            stage="full",
            upload_key=upload["key"] if upload else "",
            frame=upload["frame"] if upload else None,
            extra=upload["extra"] if upload else (),
        )
    extra = upload["extra"] if upload else ()
    names = {key: get_indicator(key, extra).short_nl for key in result.indicators.values()}
    table = filter_table(table, role, theme_names=names)
    infos = _data.indicators(table.columns, extra=upload["extra"] if upload else ())
    if lang == "en":  # built-in indicators in English; own indicators keep their own names
        infos = [replace(i, label=INDICATOR_LABELS_EN.get(i.key, i.label)) for i in infos]
    layers = {
        key: t(f"layer_{key}", lang)
        for key in _SPECIAL_LAYERS
        if key in table.columns and visible(role, key) and not (first and key in _LATER_LAYERS)
    }
    layers |= {i.key: i.label for i in infos if table[i.key].notna().any()}
    if change:  # the themes' change over the years (views.change_map)
        layers[CHANGE_LAYER] = t(f"layer_{CHANGE_LAYER}", lang)
    codes = list(table["code"])
    choices |= {"layer": list(layers), "area": codes, "cmp": codes}
    init_settings(["layer", "area", "cmp"], choices)

    _map_section(values, levels, layers, lang)
    _analysis_section(values, choices, lang)
    st.sidebar.caption(t("share_link", lang))
    return Context(
        lang=lang,
        settings=values,
        loaded=loaded,
        table=table,
        infos=infos,
        layers=layers,
        analysed=not first,
        complete=(lambda: _complete(args, lang)) if first else None,
        result=result,
        choices=choices,
        upload_names=upload["names"] if upload else [],
        request=entry.request,
        role=role,
        upload=upload,
    )
