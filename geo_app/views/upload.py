"""The Eigen data tab: the municipality's own aggregated figures.

``geo_app.views.upload_view.render_upload`` validates the file and shows the preview
and the Dutch findings; only its *Gegevens gebruiken* button confirms. This page
then joins the confirmed figures at every level and protects them
(``_own_data.build_entries``), stores them where the sidebar reads them, and
reruns so the new layers appear. A refused or unconfirmed file changes nothing;
removing the confirmed file removes the joined data.
"""

from __future__ import annotations

import re
from pathlib import PurePath

import streamlit as st

from geo_app.session import own_data as _own_data
from geo_app.session.context import Context
from geo_app.session.i18n import EMPTY
from geo_app.views.upload_view import render_upload
from layers.disclosure import DEFAULT_THRESHOLD, public_log
from layers.escape import escape_markdown

__all__ = ["render"]

_JOINED = "upload_joined"  # (year, gemeente) → (signature, result) of the joined upload


def _slug(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_")[:40] or "eigen_gegevens"


def _dataset_name(ctx: Context, key: str) -> str | None:
    role = ctx.role
    if role.datasets is not None:
        allowed = sorted(role.datasets)
        if not allowed:
            st.info(ctx.t("upload_no_datasets", role=escape_markdown(role.label)))
            return None
        return st.selectbox(ctx.t("upload_name"), allowed, key=f"{key}_name")
    uploaded = st.session_state.get(f"{key}_file")
    default = _slug(PurePath(uploaded.name).stem) if uploaded is not None else "eigen_gegevens"
    name = st.text_input(
        ctx.t("upload_name"),
        value=default,
        max_chars=40,
        key=f"{key}_name_{default}",
        help=ctx.t("upload_name_help"),
    )
    return _slug(name)


def _sync(ctx: Context, key: str, name: str) -> None:
    """Join a newly confirmed upload, or drop a removed one; rerun when anything changed."""
    year, code = ctx.loaded.year, ctx.loaded.code
    joined: dict = st.session_state.setdefault(_JOINED, {})
    confirmed = st.session_state.get(f"{key}_confirmed")
    signature = st.session_state.get(f"{key}_confirmed_signature")
    previous = joined.get((year, code))
    if confirmed is None:
        if previous is not None:
            del joined[(year, code)]
            _own_data.remove(year, code)
            st.rerun()
        return
    if previous is not None and previous[0] == signature:
        return
    try:
        built = _own_data.build_entries(
            ctx.loaded.frames, confirmed, name=name, threshold=DEFAULT_THRESHOLD
        )
    except ValueError as exc:
        # Put back what was in use before: a failed join changes nothing.
        if previous is None:
            st.session_state.pop(f"{key}_confirmed", None)
            st.session_state.pop(f"{key}_confirmed_signature", None)
        else:
            st.session_state[f"{key}_confirmed_signature"] = previous[0]
            st.session_state[f"{key}_confirmed"] = previous[1]
        reason = _own_data.join_error_nl(exc)
        st.error(ctx.t("upload_join_failed", reason=escape_markdown(reason)))
        return
    _own_data.store(year, code, built)
    joined[(year, code)] = (signature, confirmed)
    st.rerun()


def _joined_summary(ctx: Context) -> None:
    entry = ctx.upload
    if entry is None:
        if ctx.settings["level"] == "buurt" and any(
            k[:2] == (ctx.loaded.year, ctx.loaded.code) for k in _own_data.entries()
        ):
            st.info(ctx.t("upload_not_this_level"))
        return
    labels = [ctx.layers[i.key] for i in entry["extra"] if i.key in ctx.layers]
    st.success(
        ctx.t(
            "upload_joined",
            name=escape_markdown(", ".join(entry["names"])),
            layers=escape_markdown("; ".join(labels) or "–"),
        )
    )
    log = entry["log"]
    if len(log):
        st.warning(
            ctx.t(
                "upload_suppressed",
                n=len(log),
            ),
            icon=":material/visibility_off:",
        )
        names = ctx.names
        public = public_log(log)  # never says why a cell is hidden
        shown = public.assign(gebied=public["code"].map(names))[
            ["gebied", "code", "column", "explanation_nl"]
        ]
        st.dataframe(
            shown,
            hide_index=True,
            column_config={
                "gebied": "Gebied",
                "code": "Code",
                "column": "Kolom",
                "explanation_nl": "Toelichting",
            },
            placeholder=EMPTY,
        )


def render(ctx: Context) -> None:
    """Draw the upload tab."""
    st.markdown(ctx.t("upload_intro"))
    role = ctx.role
    if not role.upload:
        st.info(ctx.t("upload_no_permission", role=escape_markdown(role.label)))
        _joined_summary(ctx)
        return
    key = f"up_{ctx.loaded.code}_{ctx.loaded.year}"
    levels = [
        lv
        for lv in ("buurt", "wijk")
        if len(ctx.loaded.frames.get(lv, ())) and role.may_see(level=lv)
    ]
    level = st.radio(
        ctx.t("upload_level"),
        levels,
        index=levels.index(ctx.settings["level"]) if ctx.settings["level"] in levels else 0,
        format_func=lambda v: ctx.t(f"level_{v}"),
        horizontal=True,
        key=f"{key}_level",
    )
    name = _dataset_name(ctx, key)
    if name is None:
        return
    areas = ctx.loaded.frames[level]
    render_upload(
        level=level,
        gemeentecode=ctx.loaded.code,
        known_codes=list(areas["code"]),
        area_names=dict(zip(areas["code"], areas["name"].fillna("").astype(str), strict=True)),
        threshold=DEFAULT_THRESHOLD,
        key=key,
        lang=ctx.lang,
    )
    _sync(ctx, key, name)
    _joined_summary(ctx)
