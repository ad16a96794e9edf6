"""The Eigen data tab: the municipality's own aggregated figures, stored for everyone.

``geo_app.views.upload_view.render_upload`` validates the file and shows the preview
and the Dutch findings; only its *Gegevens gebruiken* button confirms. This page
then joins the confirmed figures at every level and protects them
(``_own_data.build_entries``), and stores the protected values in the shared
dataset store (``session.shared``) as a new dataset or a new version of the one
the person saw. Every session whose role allows the dataset loads it on its next
rerun (``views.sidebar`` calls ``shared.sync``). A refused or unconfirmed file
changes nothing; *Eigen cijfers verwijderen* removes the version this session
stored, for everyone; the list below removes any stored dataset
(``views.datasets_view``).
"""

from __future__ import annotations

from pathlib import PurePath

import streamlit as st

from cbs_ingest.errors import DatasetError
from geo_app.session import own_data as _own_data
from geo_app.session import shared as _shared
from geo_app.session.context import Context
from geo_app.session.i18n import EMPTY
from geo_app.views import datasets_view as _datasets_view
from geo_app.views.upload_view import render_upload
from layers.disclosure import DEFAULT_THRESHOLD, public_log
from layers.escape import escape_markdown

__all__ = ["render"]

_JOINED = "upload_joined"  # (year, gemeente) → (signature, result) of the joined upload


def _dataset_name(ctx: Context, key: str) -> str | None:
    role = ctx.role
    if role.datasets is not None:
        allowed = sorted(role.datasets)
        if not allowed:
            st.info(ctx.t("upload_no_datasets", role=escape_markdown(role.label)))
            return None
        return st.selectbox(ctx.t("upload_name"), allowed, key=f"{key}_name")
    uploaded = st.session_state.get(f"{key}_file")
    default = (
        _own_data.dataset_slug(PurePath(uploaded.name).stem)
        if uploaded is not None
        else "eigen_gegevens"
    )
    name = st.text_input(
        ctx.t("upload_name"),
        value=default,
        max_chars=40,
        key=f"{key}_name_{default}",
        help=ctx.t("upload_name_help"),
    )
    return _own_data.dataset_slug(name)


def _base(ctx: Context, key: str, name: str) -> tuple[tuple, int | None]:
    """The stored version of ``name`` this person saw when choosing the file.

    Confirming replaces exactly that version (optimistic concurrency): when
    someone else stored or removed ``name`` in between, the store refuses.
    """
    uploaded = st.session_state.get(f"{key}_file")
    ident = (getattr(uploaded, "file_id", None), name)
    bases: dict = st.session_state.setdefault(f"{key}_base", {})
    if ident not in bases:
        seen = _shared.state(ctx.loaded.year, ctx.loaded.code)["versions"].get(name)
        bases[ident] = seen.version if seen is not None else None
    return ident, bases[ident]


def _sync(ctx: Context, key: str, name: str) -> None:
    """Store a newly confirmed upload for everyone, or remove the one this session stored."""
    year, code = ctx.loaded.year, ctx.loaded.code
    joined: dict = st.session_state.setdefault(_JOINED, {})
    confirmed = st.session_state.get(f"{key}_confirmed")
    signature = st.session_state.get(f"{key}_confirmed_signature")
    previous = joined.get((year, code))
    if confirmed is None:
        if previous is not None:
            del joined[(year, code)]
            _remove_own(ctx, previous)
            st.rerun()
        return
    if previous is not None and previous[0] == signature:
        return
    ident, replaces = _base(ctx, key, name)

    def undo() -> None:
        # Put back what was in use before: a failed confirm changes nothing.
        if previous is None:
            st.session_state.pop(f"{key}_confirmed", None)
            st.session_state.pop(f"{key}_confirmed_signature", None)
        else:
            st.session_state[f"{key}_confirmed_signature"] = previous[0]
            st.session_state[f"{key}_confirmed"] = previous[1]

    try:
        # A replacement is protected together with the version it replaces (published).
        earlier = _shared.published(year, code, name) if replaces is not None else None
    except DatasetError as exc:
        undo()
        _datasets_view.flash("error", exc.nl)
        st.rerun()
    try:
        built = _own_data.build_entries(
            ctx.loaded.frames, confirmed, name=name, threshold=DEFAULT_THRESHOLD, previous=earlier
        )
    except ValueError as exc:
        undo()
        reason = _own_data.join_error_nl(exc)
        st.error(ctx.t("upload_join_failed", reason=escape_markdown(reason)))
        return
    uploaded = st.session_state.get(f"{key}_file")
    data = uploaded.getvalue() if uploaded is not None else confirmed.frame.to_csv().encode()
    try:
        meta = _shared.save(
            year,
            code,
            built,
            confirmed,
            name=name,
            file_name=confirmed.filename,
            data=data,
            role=ctx.role,
            replaces=replaces,
        )
    except DatasetError as exc:
        undo()
        st.session_state.get(f"{key}_base", {}).pop(ident, None)  # see the current version
        _datasets_view.flash("error", exc.nl)
        st.rerun()
    joined[(year, code)] = (signature, confirmed, name, meta.version)
    _datasets_view.flash(
        "success", ctx.t("ds_saved", name=escape_markdown(name), version=meta.version)
    )
    st.rerun()


def _remove_own(ctx: Context, previous: tuple) -> None:
    """'Eigen cijfers verwijderen': remove the version this session stored, if still current."""
    _signature, _confirmed, name, version = previous
    try:
        _shared.remove(ctx.loaded.year, ctx.loaded.code, name, role=ctx.role, expected=version)
    except DatasetError as exc:
        _datasets_view.flash("error", exc.nl)
    else:
        _datasets_view.flash(
            "success", ctx.t("ds_removed", name=escape_markdown(name), version=version)
        )


def _replace_notice(ctx: Context, key: str, name: str) -> None:
    if st.session_state.get(f"{key}_file") is None:
        return
    _ident, base = _base(ctx, key, name)
    seen = _shared.state(ctx.loaded.year, ctx.loaded.code)["versions"].get(name)
    if base is not None and seen is not None:
        st.info(
            ctx.t(
                "ds_replaces",
                name=escape_markdown(name),
                version=seen.version,
                by=escape_markdown(seen.uploaded_by),
                next=seen.version + 1,
            )
        )


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
    _datasets_view.show_message()
    role = ctx.role
    if not role.upload:
        st.info(ctx.t("upload_no_permission", role=escape_markdown(role.label)))
        _joined_summary(ctx)
        _datasets_view.render_stored(ctx)
        _datasets_view.render_audit(ctx)
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
    if name is not None:
        _replace_notice(ctx, key, name)
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
    _datasets_view.render_stored(ctx)
    _datasets_view.render_audit(ctx)
