"""The stored own datasets of a gemeente-year, their removal, and the audit log.

Part of the Eigen data tab. Everyone sees which stored datasets their role
shows; roles with ``upload = true`` may remove one for everyone; roles with
``audit = true`` see the audit log and may download it (that download is itself
recorded).
"""

from __future__ import annotations

import streamlit as st

from cbs_ingest.datasets import open_store
from cbs_ingest.errors import DatasetError
from geo_app.session import shared as _shared
from geo_app.session.context import Context
from layers.escape import escape_markdown

__all__ = ["render_audit", "render_stored", "show_message"]

_MESSAGE = "datasets_message"  # (kind, text) to show once after a rerun


def flash(kind: str, text: str) -> None:
    """Show ``text`` (``success``/``error``/``info``) once, after the next rerun."""
    st.session_state[_MESSAGE] = (kind, text)


def show_message() -> None:
    """Show the message left by :func:`flash`, once."""
    message = st.session_state.pop(_MESSAGE, None)
    if message is not None:
        getattr(st, message[0])(message[1])


def render_stored(ctx: Context) -> None:
    """The current stored datasets this role sees, with a remove button for uploaders."""
    year, code = ctx.loaded.year, ctx.loaded.code
    shared = _shared.state(year, code)
    st.subheader(ctx.t("ds_title"))
    if shared["error"]:
        st.error(shared["error"])
        return
    st.caption(ctx.t("ds_intro"))
    versions = shared["versions"]
    if not versions:
        st.info(ctx.t("ds_none"))
    if shared["skipped"]:
        st.warning(ctx.t("ds_skipped", names=escape_markdown(", ".join(shared["skipped"]))))
    for name, meta in versions.items():
        text = ctx.t(
            "ds_row",
            name=escape_markdown(name),
            version=meta.version,
            rows=meta.rows,
            level=ctx.t(f"level_{meta.level}"),
            cells=meta.suppression.get("cells", 0),
            by=escape_markdown(meta.uploaded_by),
            role=escape_markdown(meta.role),
            at=meta.created_at.replace("T", " ")[:16],
            file=escape_markdown(meta.file_name),
        )
        if not ctx.role.upload:
            st.markdown(text)
            continue
        left, right = st.columns([5, 1], vertical_alignment="center")
        left.markdown(text)
        if right.button(ctx.t("ds_remove"), key=f"ds_remove_{code}_{year}_{name}"):
            try:
                removed = _shared.remove(year, code, name, role=ctx.role, expected=meta.version)
            except DatasetError as exc:
                flash("error", exc.nl)
            else:
                flash(
                    "success",
                    ctx.t("ds_removed", name=escape_markdown(name), version=removed.version),
                )
            st.rerun()


def render_audit(ctx: Context) -> None:
    """The audit log and its CSV download, for roles with ``audit = true``."""
    if not ctx.role.audit:
        return
    with st.expander(ctx.t("audit_title")):
        st.caption(ctx.t("audit_intro"))
        try:
            log = open_store().audit_log()
        except DatasetError as exc:
            st.error(exc.nl)
            return
        if log.empty:
            st.info(ctx.t("audit_empty"))
            return
        st.dataframe(log.head(500), hide_index=True, key="audit_table")
        st.download_button(
            ctx.t("audit_download"),
            _shared.audited(
                log.to_csv(index=False).encode("utf-8"),
                role=ctx.role,
                year=ctx.loaded.year,
                code=ctx.loaded.code,
                what="stapelkaart_auditlog.csv",
                action="audit_export",
            ),
            file_name="stapelkaart_auditlog.csv",
            mime="text/csv",
            key="audit_download",
            on_click="ignore",
        )
