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

import streamlit as st

from layers.escape import escape_markdown
from layers.upload import UploadResult, validate_upload

__all__ = ["confirmed_upload", "render_upload"]

_MB = 1_000_000


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

    Returns
    -------
    UploadResult or None
        The confirmed upload (also in ``st.session_state[f"{key}_confirmed"]``),
        or None when nothing has been confirmed yet.
    """
    st.subheader("Eigen cijfers toevoegen")
    st.caption(
        "Alleen geaggregeerde aantallen per "
        + level
        + " (één regel per gebied, een kolom met CBS-codes en kolommen met aantallen). "
        "Nooit gegevens over personen. Cellen kleiner dan "
        + str(threshold)
        + " worden afgeschermd."
    )
    uploaded = st.file_uploader(
        "Kies een CSV- of Excel-bestand",
        type=["csv", "txt", "xlsx"],
        accept_multiple_files=False,
        key=f"{key}_file",
        help="CSV met puntkomma, komma of tab; Excel (.xlsx) zonder macro's.",
    )
    if uploaded is not None:
        data = uploaded.getvalue()
        options = {"level": level, "gemeentecode": gemeentecode, "known_codes": known_codes,
                   "threshold": threshold, "max_bytes": max_bytes}
        signature, pending = _validate(data, uploaded.name, key=key, pairs=dict(pairs or {}),
                                       **options)
        sheets = list(pending.details.get("sheets") or [])
        if len(sheets) > 1:
            sheet = st.selectbox("Werkblad", sheets, key=f"{key}_sheet",
                                 help="De werkmap heeft meer werkbladen; kies het juiste.")
            options["sheet"] = sheet
            signature, pending = _validate(data, uploaded.name, key=key,
                                           pairs=dict(pairs or {}), **options)
        chosen = _choose_pairs(pending, dict(pairs or {}), key=key)
        if chosen != pending.pairs and (chosen or pending.ok):
            signature, pending = _validate(data, uploaded.name, key=key, pairs=chosen,
                                           **options)
        if st.session_state.get(f"{key}_confirmed_signature") != signature:
            _show(pending, signature=signature, key=key)
    current = confirmed_upload(key)
    if current is not None:
        st.success("In gebruik: " + str(len(current.frame)) + " gebieden, "
                   + str(len(current.frame.columns) - 1) + " kolom(men).")
        st.text("Bestand: " + current.filename)
        if st.button("Eigen cijfers verwijderen", key=f"{key}_remove"):
            st.session_state.pop(f"{key}_confirmed", None)
            st.session_state.pop(f"{key}_confirmed_signature", None)
            st.rerun()
    return current


def _choose_pairs(result: UploadResult, given: dict[str, str], *, key: str) -> dict[str, str]:
    """Let the person name a denominator for each count column (checked: teller <= noemer)."""
    columns = list(result.details.get("value_columns", []))
    if len(columns) < 2:
        return given
    none = "(geen noemer)"
    chosen: dict[str, str] = {}
    with st.expander("Teller en noemer (optioneel)", expanded=bool(given)):
        st.caption("Kies per kolom met aantallen de kolom waar het een deel van is, "
                   "bijvoorbeeld Wmo-cliënten van inwoners. Een teller mag nooit groter "
                   "zijn dan zijn noemer.")
        for i, column in enumerate(columns):
            options = [none] + [c for c in columns if c != column]
            default = options.index(given[column]) if given.get(column) in options else 0
            choice = st.selectbox(escape_markdown(column), options, index=default,
                                  key=f"{key}_pair_{i}")
            if choice != none:
                chosen[column] = choice
    return chosen


def _validate(data: bytes, filename: str, *, key: str, **options) -> tuple[tuple, UploadResult]:
    """Validate once per distinct file and options, not on every rerun."""
    signature = (filename, len(data), hash(data), tuple(sorted(
        (k, _hashable(v)) for k, v in options.items())))
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


def _show(result: UploadResult, *, signature: tuple, key: str) -> None:
    if not result.preview.empty:
        st.markdown("**Voorbeeld van het bestand** (eerste regels)")
        st.dataframe(result.preview, hide_index=True)
    n_errors, n_warnings = len(result.errors), len(result.warnings)
    if result.ok:
        st.success(
            "Het bestand is gecontroleerd: "
            + str(len(result.frame))
            + " gebieden, geen fouten"
            + (f", {n_warnings} waarschuwing(en)." if n_warnings else ".")
        )
    else:
        st.error(
            f"Het bestand kan niet gebruikt worden: {n_errors} fout(en). Er is niets "
            "opgeslagen; de eerder gebruikte gegevens blijven ongewijzigd."
        )
    if result.issues:
        st.dataframe(result.issues_frame(), hide_index=True)
    if not result.below_threshold.empty:
        st.markdown("**Cellen onder de drempel** (worden afgeschermd)")
        st.dataframe(
            result.below_threshold.rename(
                columns={"code": "Code", "column": "Kolom", "value": "Waarde"}
            ),
            hide_index=True,
        )
    if result.ok and st.button("Gegevens gebruiken", type="primary", key=f"{key}_confirm"):
        st.session_state[f"{key}_confirmed"] = result
        st.session_state[f"{key}_confirmed_signature"] = signature
        st.rerun()
