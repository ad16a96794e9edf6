"""The upload piece of the app: choose a file, see what was read, confirm.

:func:`render_upload` draws a file uploader, validates the file with
:func:`layers.upload.validate_upload`, shows a preview and the findings in
Dutch, and only after the person presses *Gegevens gebruiken* stores the
result in ``st.session_state[f"{key}_confirmed"]``. A refused or unconfirmed
upload never replaces what was confirmed before.

A file that names its areas instead of coding them (an "in Cijfers" export)
is matched to the CBS names passed as ``area_names``. The piece shows the
matched names, a choice per near miss (used only when the person picks a CBS
area) and the names that were not found.

Everything from the file (cell text, column names, messages quoting them) is
shown with ``st.dataframe`` or ``st.text``, which never interpret HTML or
Markdown.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from functools import partial

import pandas as pd
import streamlit as st

from geo_app.session.i18n import EMPTY, t
from layers.escape import escape_markdown
from layers.upload import UploadResult, validate_upload

__all__ = ["confirmed_upload", "render_upload"]

_MB = 1_000_000


def _sequence(value: object) -> Sequence[object]:
    """A list or tuple from an upload's details; anything else as empty."""
    return value if isinstance(value, list | tuple) else ()


def confirmed_upload(key: str = "upload") -> UploadResult | None:
    """The upload the person confirmed last (None if none)."""
    return st.session_state.get(f"{key}_confirmed")


def render_upload(
    *,
    level: str,
    gemeentecode: str | None = None,
    known_codes: Collection[str] | None = None,
    threshold: int = 10,
    max_bytes: int = 5 * _MB,
    pairs: Mapping[str, str] | None = None,
    key: str = "upload",
    lang: str = "nl",
    area_names: Mapping[str, str] | None = None,
) -> UploadResult | None:
    """Show the upload widget, its validation and a confirm button.

    Parameters
    ----------
    level
        ``"buurt"`` or ``"wijk"``: the level the codes must have.
    gemeentecode
        The selected gemeente; codes of other gemeenten are refused.
    known_codes
        The area codes of the selected gemeente and year.
    threshold
        Disclosure threshold shown and checked.
    max_bytes
        Size limit for the file.
    pairs
        Known ``{numerator: denominator}`` columns; the person can add more.
    key
        Prefix for widget keys and session state, so the piece can appear twice.
    lang
        ``"nl"`` (default) or ``"en"``.
    area_names
        ``{code: CBS name}`` of the gemeente's areas at ``level`` (the selected
        year), for files that name their areas instead of coding them.

    Returns
    -------
    UploadResult or None
        The confirmed upload (also in ``st.session_state[f"{key}_confirmed"]``),
        or None when nothing has been confirmed yet.
    """
    st.subheader(t("upload_form_title", lang))
    st.caption(t("upload_form_intro", lang, level=level, threshold=threshold))
    uploaded = st.file_uploader(
        t("upload_form_choose", lang),
        type=["csv", "txt", "xlsx"],
        accept_multiple_files=False,
        key=f"{key}_file",
        help=t("upload_form_choose_help", lang),
    )
    if uploaded is not None:
        data = uploaded.getvalue()
        options = {
            "level": level,
            "gemeentecode": gemeentecode,
            "known_codes": known_codes,
            "threshold": threshold,
            "max_bytes": max_bytes,
            "area_names": dict(area_names) if area_names is not None else None,
        }
        signature, pending = _validate(
            data, uploaded.name, key=key, pairs=dict(pairs or {}), **options
        )
        sheets = [str(s) for s in _sequence(pending.details.get("sheets"))]
        if len(sheets) > 1:
            sheet = st.selectbox(
                t("upload_form_sheet", lang),
                sheets,
                key=f"{key}_sheet",
                help=t("upload_form_sheet_help", lang),
            )
            options["sheet"] = sheet
            signature, pending = _validate(
                data, uploaded.name, key=key, pairs=dict(pairs or {}), **options
            )
        accepted = _choose_names(pending, key=key, lang=lang)
        if accepted:
            options["accepted_names"] = accepted
            signature, pending = _validate(
                data, uploaded.name, key=key, pairs=dict(pairs or {}), **options
            )
        chosen = _choose_pairs(pending, dict(pairs or {}), key=key, lang=lang)
        if chosen != pending.pairs and (chosen or pending.ok):
            signature, pending = _validate(data, uploaded.name, key=key, pairs=chosen, **options)
        if st.session_state.get(f"{key}_confirmed_signature") != signature:
            _show(pending, signature=signature, key=key, lang=lang, areas=area_names)
    current = confirmed_upload(key)
    if current is not None:
        st.success(
            t("upload_form_in_use", lang, n=len(current.frame), k=len(current.frame.columns) - 1)
        )
        st.text(t("upload_form_file", lang) + current.filename)
        if st.button(t("upload_form_remove", lang), key=f"{key}_remove"):
            st.session_state.pop(f"{key}_confirmed", None)
            st.session_state.pop(f"{key}_confirmed_signature", None)
            st.rerun()
    return current


def _choose_names(result: UploadResult, *, key: str, lang: str = "nl") -> dict[str, str]:
    """One choice per near-miss name; returns ``{name: code}`` for the names given a code."""
    match = result.names
    if match is None or not match.suggestions:
        return {}
    skip = t("upload_form_names_skip", lang)
    chosen: dict[str, str] = {}
    with st.expander(t("upload_form_names_choose", lang), expanded=True):
        st.caption(t("upload_form_names_choose_help", lang))
        for name, candidates in match.suggestions.items():
            labels = {c.code: f"{c.name} ({c.code}, {c.score:.0f}%)" for c in candidates}
            digest = hashlib.sha256(name.encode()).hexdigest()[:12]
            choice: str | None = st.selectbox(
                escape_markdown(name),
                [skip, *labels],
                format_func=partial(_choice_label, labels=labels, skip=skip),
                key=f"{key}_name_{digest}",
            )
            if choice is not None and choice != skip:
                chosen[name] = choice
    return chosen


def _choice_label(code: str, *, labels: Mapping[str, str], skip: str) -> str:
    return labels.get(code, skip)


def _show_names(result: UploadResult, *, areas: Mapping[str, str], lang: str) -> None:
    match = result.names
    if match is None:
        return
    counts = match.counts()
    n_matched = counts["exact"] + counts["normalised"] + counts["accepted"]
    st.markdown(t("upload_form_names_title", lang))
    st.caption(
        t(
            "upload_form_names_summary",
            lang,
            matched=n_matched,
            total=n_matched + counts["suggested"] + counts["unmatched"],
            **counts,
        )
    )
    if match.matched:
        st.dataframe(
            pd.DataFrame(
                {
                    t("upload_form_names_file", lang): list(match.matched),
                    t("upload_form_names_cbs", lang): [
                        areas.get(c, "") for c in match.matched.values()
                    ],
                    t("upload_form_code", lang): list(match.matched.values()),
                    t("upload_form_names_how", lang): [
                        t(f"upload_form_how_{match.how[n]}", lang) for n in match.matched
                    ],
                }
            ),
            hide_index=True,
        )
    if match.unmatched:
        st.markdown(t("upload_form_names_unmatched", lang))
        st.dataframe(
            pd.DataFrame({t("upload_form_names_file", lang): list(match.unmatched)}),
            hide_index=True,
        )


def _choose_pairs(
    result: UploadResult, given: dict[str, str], *, key: str, lang: str = "nl"
) -> dict[str, str]:
    """Let the person name a denominator for each count column (checked: teller <= noemer)."""
    columns = [str(c) for c in _sequence(result.details.get("value_columns"))]
    if len(columns) < 2:
        return given
    none = t("upload_form_no_den", lang)
    chosen: dict[str, str] = {}
    with st.expander(t("upload_form_pairs", lang), expanded=bool(given)):
        st.caption(t("upload_form_pairs_help", lang))
        for i, column in enumerate(columns):
            options = [none] + [c for c in columns if c != column]
            default = options.index(given[column]) if given.get(column) in options else 0
            choice = st.selectbox(
                escape_markdown(column), options, index=default, key=f"{key}_pair_{i}"
            )
            if choice is not None and choice != none:
                chosen[column] = choice
    return chosen


def _validate(data: bytes, filename: str, *, key: str, **options) -> tuple[tuple, UploadResult]:
    """Validate once per distinct file and options, not on every rerun."""
    signature = (
        filename,
        len(data),
        hash(data),
        tuple(sorted((k, _hashable(v)) for k, v in options.items())),
    )
    cache: dict = st.session_state.setdefault(f"{key}_pending", {})
    if signature not in cache:
        while len(cache) >= 6:  # keep a few: the file without and with chosen pairs/names
            cache.pop(next(iter(cache)))
        cache[signature] = validate_upload(data, filename, **options)
    return signature, cache[signature]


def _hashable(value: object) -> object:
    if isinstance(value, Mapping):
        return tuple(sorted(value.items()))
    if isinstance(value, Collection) and not isinstance(value, str):
        return (len(value), hash(tuple(sorted(map(str, value)))))
    return value


def _issues_en(result: UploadResult) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Severity": [i.severity for i in result.issues],
            "Message": [i.message_en for i in result.issues],
            "Row": ["" if i.row is None else str(i.row) for i in result.issues],
            "Column": [i.column or "" for i in result.issues],
        }
    )


def _show(
    result: UploadResult,
    *,
    signature: tuple,
    key: str,
    lang: str = "nl",
    areas: Mapping[str, str] | None = None,
) -> None:
    if not result.preview.empty:
        st.markdown(t("upload_form_preview", lang))
        st.dataframe(result.preview, hide_index=True, placeholder=EMPTY)
    _show_names(result, areas=areas or {}, lang=lang)
    n_errors, n_warnings = len(result.errors), len(result.warnings)
    if result.ok:
        st.success(
            t("upload_form_checked", lang, n=len(result.frame))
            + (t("upload_form_warnings", lang, n=n_warnings) if n_warnings else ".")
        )
    else:
        st.error(t("upload_form_refused", lang, n=n_errors))
    if result.issues:
        issues = _issues_en(result) if lang == "en" else result.issues_frame()
        st.dataframe(issues, hide_index=True, placeholder=EMPTY)
    if not result.below_threshold.empty:
        st.markdown(t("upload_form_below", lang))
        st.dataframe(
            result.below_threshold.rename(
                columns={
                    "code": t("upload_form_code", lang),
                    "column": t("upload_form_column", lang),
                    "value": t("upload_form_value", lang),
                }
            ),
            hide_index=True,
            placeholder=EMPTY,
        )
    if result.ok and st.button(
        t("upload_form_confirm", lang), type="primary", key=f"{key}_confirm"
    ):
        st.session_state[f"{key}_confirmed"] = result
        st.session_state[f"{key}_confirmed_signature"] = signature
        st.rerun()
