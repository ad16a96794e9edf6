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
        "CBS-codes of gebiedsnamen en kolommen met aantallen; exports uit 'in Cijfers' werken "
        "ook). Nooit gegevens over personen. Cellen kleiner dan {threshold} worden afgeschermd.",
        "en": "Only aggregated counts per {level} (one row per area, a column of CBS codes or "
        "area names and columns of counts; 'in Cijfers' exports work too). Never data about "
        "persons. Cells below {threshold} are suppressed.",
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
    "names_title": {
        "nl": "**Gebiedsnamen gekoppeld aan CBS-gebieden**",
        "en": "**Area names matched to CBS areas**",
    },
    "names_summary": {
        "nl": "{matched} van de {total} namen gekoppeld ({exact} precies gelijk, {normalised} na "
        "gelijktrekken van hoofdletters, 'Buurt ' en 'e.o.', {accepted} door u gekozen); "
        "{suggested} nog te kiezen, {unmatched} niet gevonden. Alleen gekoppelde regels worden "
        "gebruikt.",
        "en": "{matched} of the {total} names matched ({exact} exact, {normalised} after "
        "normalising case, 'Buurt ' and 'e.o.', {accepted} chosen by you); {suggested} still to "
        "choose, {unmatched} not found. Only matched rows are used.",
    },
    "names_choose": {
        "nl": "Bijna gelijke namen: kies het juiste CBS-gebied",
        "en": "Near misses: choose the right CBS area",
    },
    "names_choose_help": {
        "nl": "Deze namen komen niet precies voor bij CBS. Kies per naam het gebied dat bedoeld "
        "is; zonder keuze wordt de regel niet gebruikt.",
        "en": "These names do not occur exactly at CBS. Choose the intended area for each name; "
        "without a choice the row is not used.",
    },
    "names_skip": {"nl": "(niet gebruiken)", "en": "(do not use)"},
    "names_unmatched": {
        "nl": "**Niet gevonden** (deze regels worden niet gebruikt)",
        "en": "**Not found** (these rows are not used)",
    },
    "names_file": {"nl": "Naam in het bestand", "en": "Name in the file"},
    "names_cbs": {"nl": "CBS-naam", "en": "CBS name"},
    "names_how": {"nl": "Koppeling", "en": "Match"},
    "how_exact": {"nl": "precies gelijk", "en": "exact"},
    "how_normalised": {"nl": "na gelijktrekken", "en": "normalised"},
    "how_accepted": {"nl": "door u gekozen", "en": "chosen by you"},
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
            "area_names": dict(area_names) if area_names is not None else None,
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
        st.success(_t("in_use", lang, n=len(current.frame), k=len(current.frame.columns) - 1))
        st.text(_t("file", lang) + current.filename)
        if st.button(_t("remove", lang), key=f"{key}_remove"):
            st.session_state.pop(f"{key}_confirmed", None)
            st.session_state.pop(f"{key}_confirmed_signature", None)
            st.rerun()
    return current


def _choose_names(result: UploadResult, *, key: str, lang: str = "nl") -> dict[str, str]:
    """One choice per near-miss name; returns ``{name: code}`` for the names given a code."""
    match = result.names
    if match is None or not match.suggestions:
        return {}
    skip = _t("names_skip", lang)
    chosen: dict[str, str] = {}
    with st.expander(_t("names_choose", lang), expanded=True):
        st.caption(_t("names_choose_help", lang))
        for name, candidates in match.suggestions.items():
            labels = {c.code: f"{c.name} ({c.code}, {c.score:.0f}%)" for c in candidates}
            digest = hashlib.sha256(name.encode()).hexdigest()[:12]
            choice = st.selectbox(
                escape_markdown(name),
                [skip, *labels],
                format_func=lambda code, labels=labels, skip=skip: labels.get(code, skip),
                key=f"{key}_name_{digest}",
            )
            if choice != skip:
                chosen[name] = choice
    return chosen


def _show_names(result: UploadResult, *, areas: Mapping[str, str], lang: str) -> None:
    match = result.names
    if match is None:
        return
    counts = match.counts()
    n_matched = counts["exact"] + counts["normalised"] + counts["accepted"]
    st.markdown(_t("names_title", lang))
    st.caption(
        _t(
            "names_summary",
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
                    _t("names_file", lang): list(match.matched),
                    _t("names_cbs", lang): [areas.get(c, "") for c in match.matched.values()],
                    _t("code", lang): list(match.matched.values()),
                    _t("names_how", lang): [_t(f"how_{match.how[n]}", lang) for n in match.matched],
                }
            ),
            hide_index=True,
        )
    if match.unmatched:
        st.markdown(_t("names_unmatched", lang))
        st.dataframe(pd.DataFrame({_t("names_file", lang): list(match.unmatched)}), hide_index=True)


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
        st.markdown(_t("preview", lang))
        st.dataframe(result.preview, hide_index=True)
    _show_names(result, areas=areas or {}, lang=lang)
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
