"""The upload piece of the app: choose a file, see what was read, confirm.

:func:`render_upload` draws a file uploader, validates the file with
:func:`layers.upload.validate_upload`, shows a preview and the findings in
Dutch, and only after the person presses *Gegevens gebruiken* stores the
result in ``st.session_state[f"{key}_confirmed"]``. A refused or unconfirmed
upload never replaces what was confirmed before.

Everything from the file (cell text, column names, messages quoting them) is
shown with ``st.dataframe`` or ``st.text``, which never interpret HTML or
Markdown.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import pandas as pd
import streamlit as st

from layers.escape import escape_markdown
from layers.upload import UploadResult, validate_upload

__all__ = ["confirmed_upload", "render_upload"]

_MB = 1_000_000

#: The piece's texts in Dutch and English (``{placeholders}`` filled in by :func:`_t`).
_TEXTS: dict[str, dict[str, str]] = {
    "title": {"nl": "Eigen cijfers toevoegen", "en": "Add own figures"},
    "intro": {
        "nl": "Alleen geaggregeerde aantallen per {level} (één regel per gebied, een kolom met "
        "CBS-codes en kolommen met aantallen). Nooit gegevens over personen. Cellen kleiner "
        "dan {threshold} worden afgeschermd.",
        "en": "Only aggregated counts per {level} (one row per area, a column of CBS codes and "
        "columns of counts). Never data about persons. Cells below {threshold} are "
        "suppressed.",
    },
    "choose": {"nl": "Kies een CSV- of Excel-bestand", "en": "Choose a CSV or Excel file"},
    "choose_help": {
        "nl": "CSV met puntkomma, komma of tab; Excel (.xlsx) zonder macro's.",
        "en": "CSV with semicolon, comma or tab; Excel (.xlsx) without macros.",
    },
    "sheet": {"nl": "Werkblad", "en": "Sheet"},
    "sheet_help": {
        "nl": "De werkmap heeft meer werkbladen; kies het juiste.",
        "en": "The workbook has several sheets; choose the right one.",
    },
    "in_use": {
        "nl": "In gebruik: {n} gebieden, {k} kolom(men).",
        "en": "In use: {n} areas, {k} column(s).",
    },
    "file": {"nl": "Bestand: ", "en": "File: "},
    "remove": {"nl": "Eigen cijfers verwijderen", "en": "Remove own figures"},
    "no_den": {"nl": "(geen noemer)", "en": "(no denominator)"},
    "pairs": {"nl": "Teller en noemer (optioneel)", "en": "Numerator and denominator (optional)"},
    "pairs_help": {
        "nl": "Kies per kolom met aantallen de kolom waar het een deel van is, bijvoorbeeld "
        "Wmo-cliënten van inwoners. Een teller mag nooit groter zijn dan zijn noemer.",
        "en": "For each count column, choose the column it is part of, e.g. Wmo clients of "
        "inhabitants. A numerator may never exceed its denominator.",
    },
    "preview": {
        "nl": "**Voorbeeld van het bestand** (eerste regels)",
        "en": "**Preview of the file** (first rows)",
    },
    "checked": {
        "nl": "Het bestand is gecontroleerd: {n} gebieden, geen fouten",
        "en": "The file was checked: {n} areas, no errors",
    },
    "warnings": {"nl": ", {n} waarschuwing(en).", "en": ", {n} warning(s)."},
    "refused": {
        "nl": "Het bestand kan niet gebruikt worden: {n} fout(en). Er is niets opgeslagen; de "
        "eerder gebruikte gegevens blijven ongewijzigd.",
        "en": "The file cannot be used: {n} error(s). Nothing was stored; the data used before "
        "stays unchanged.",
    },
    "below": {
        "nl": "**Cellen onder de drempel** (worden afgeschermd)",
        "en": "**Cells below the threshold** (will be suppressed)",
    },
    "code": {"nl": "Code", "en": "Code"},
    "column": {"nl": "Kolom", "en": "Column"},
    "value": {"nl": "Waarde", "en": "Value"},
    "confirm": {"nl": "Gegevens gebruiken", "en": "Use the data"},
}


def _t(key: str, lang: str, **values: object) -> str:
    texts = _TEXTS[key]
    return texts.get(lang, texts["nl"]).format(**values)


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

    Returns
    -------
    UploadResult or None
        The confirmed upload (also in ``st.session_state[f"{key}_confirmed"]``),
        or None when nothing has been confirmed yet.
    """
    st.subheader(_t("title", lang))
    st.caption(_t("intro", lang, level=level, threshold=threshold))
    uploaded = st.file_uploader(
        _t("choose", lang),
        type=["csv", "txt", "xlsx"],
        accept_multiple_files=False,
        key=f"{key}_file",
        help=_t("choose_help", lang),
    )
    if uploaded is not None:
        data = uploaded.getvalue()
        options = {
            "level": level,
            "gemeentecode": gemeentecode,
            "known_codes": known_codes,
            "threshold": threshold,
            "max_bytes": max_bytes,
        }
        signature, pending = _validate(
            data, uploaded.name, key=key, pairs=dict(pairs or {}), **options
        )
        sheets = list(pending.details.get("sheets") or [])
        if len(sheets) > 1:
            sheet = st.selectbox(
                _t("sheet", lang), sheets, key=f"{key}_sheet", help=_t("sheet_help", lang)
            )
            options["sheet"] = sheet
            signature, pending = _validate(
                data, uploaded.name, key=key, pairs=dict(pairs or {}), **options
            )
        chosen = _choose_pairs(pending, dict(pairs or {}), key=key, lang=lang)
        if chosen != pending.pairs and (chosen or pending.ok):
            signature, pending = _validate(data, uploaded.name, key=key, pairs=chosen, **options)
        if st.session_state.get(f"{key}_confirmed_signature") != signature:
            _show(pending, signature=signature, key=key, lang=lang)
    current = confirmed_upload(key)
    if current is not None:
        st.success(_t("in_use", lang, n=len(current.frame), k=len(current.frame.columns) - 1))
        st.text(_t("file", lang) + current.filename)
        if st.button(_t("remove", lang), key=f"{key}_remove"):
            st.session_state.pop(f"{key}_confirmed", None)
            st.session_state.pop(f"{key}_confirmed_signature", None)
            st.rerun()
    return current


def _choose_pairs(
    result: UploadResult, given: dict[str, str], *, key: str, lang: str = "nl"
) -> dict[str, str]:
    """Let the person name a denominator for each count column (checked: teller <= noemer)."""
    columns = list(result.details.get("value_columns", []))
    if len(columns) < 2:
        return given
    none = _t("no_den", lang)
    chosen: dict[str, str] = {}
    with st.expander(_t("pairs", lang), expanded=bool(given)):
        st.caption(_t("pairs_help", lang))
        for i, column in enumerate(columns):
            options = [none] + [c for c in columns if c != column]
            default = options.index(given[column]) if given.get(column) in options else 0
            choice = st.selectbox(
                escape_markdown(column), options, index=default, key=f"{key}_pair_{i}"
            )
            if choice != none:
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
        while len(cache) >= 4:  # keep a few: the file without and with chosen pairs
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


def _show(result: UploadResult, *, signature: tuple, key: str, lang: str = "nl") -> None:
    if not result.preview.empty:
        st.markdown(_t("preview", lang))
        st.dataframe(result.preview, hide_index=True)
    n_errors, n_warnings = len(result.errors), len(result.warnings)
    if result.ok:
        st.success(
            _t("checked", lang, n=len(result.frame))
            + (_t("warnings", lang, n=n_warnings) if n_warnings else ".")
        )
    else:
        st.error(_t("refused", lang, n=n_errors))
    if result.issues:
        issues = _issues_en(result) if lang == "en" else result.issues_frame()
        st.dataframe(issues, hide_index=True)
    if not result.below_threshold.empty:
        st.markdown(_t("below", lang))
        st.dataframe(
            result.below_threshold.rename(
                columns={
                    "code": _t("code", lang),
                    "column": _t("column", lang),
                    "value": _t("value", lang),
                }
            ),
            hide_index=True,
        )
    if result.ok and st.button(_t("confirm", lang), type="primary", key=f"{key}_confirm"):
        st.session_state[f"{key}_confirmed"] = result
        st.session_state[f"{key}_confirmed_signature"] = signature
        st.rerun()
