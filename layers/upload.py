"""Validation of a municipality's own aggregated figures before they join the analysis.

:func:`validate_upload` is pure: bytes, a file name and options go in, an
:class:`UploadResult` comes out. Nothing is stored, nothing raises for bad
content: every problem becomes an :class:`UploadIssue` with a Dutch message
(for the app), an English one (for the command line) and the row and column
where it was found. Only an upload without errors (``result.ok``) may be used.

Accepted: ``.csv`` (UTF-8 or Windows-1252; ``;``, tab or ``,`` between
columns; Dutch decimal commas) and ``.xlsx`` (first sheet unless chosen; no
macros), with one row per area: a code column, optional name columns (ignored)
and numeric, non-negative count columns. Without a code column, a column of
area *names* is matched to the CBS names of the gemeente and year (passed as
``area_names``; see :mod:`layers.area_names`), and the two export layouts of
ABF's "in Cijfers" portals (Swing) are read (see :mod:`layers._upload_swing`).
Files that look like person-level data (columns such as BSN, geboortedatum,
naam or adres, several rows per code) are refused with an explanation.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from layers._upload_checks import (
    CODE_PATTERNS,
    Issues,
    UploadIssue,
    check_codes,
    check_header,
    check_row_width,
)
from layers._upload_names import check_names
from layers._upload_read import RawTable, Rejected, read_table
from layers._upload_swing import reshape
from layers._upload_values import as_text, fmt, parse_column

if TYPE_CHECKING:
    from layers.area_names import NameMatch

__all__ = [
    "CODE_PATTERNS",
    "UploadIssue",
    "UploadResult",
    "validate_upload",
]


@dataclass(frozen=True)
class UploadResult:
    """What an upload contains and whether it may be used.

    Attributes
    ----------
    ok
        True when there is no error; only then is ``frame`` filled.
    frame
        ``code`` (str) and one float column per uploaded count column, one row
        per area; empty (only ``code``) when not ok.
    pairs
        ``{numerator column: denominator column}`` that were checked.
    issues
        Every finding, errors first.
    below_threshold
        Cells below the disclosure threshold (``code``, ``column``, ``value``):
        they will be suppressed before display or export.
    preview
        The first rows of the file as text, for showing what was read.
    names
        For a file that names its areas instead of coding them: how the names
        matched the CBS names (matched, suggestions to confirm, unmatched).
    """

    ok: bool
    frame: pd.DataFrame
    pairs: dict[str, str]
    issues: tuple[UploadIssue, ...]
    below_threshold: pd.DataFrame
    preview: pd.DataFrame
    filename: str
    level: str
    threshold: int
    details: dict[str, object] = field(default_factory=dict)
    names: NameMatch | None = None

    @property
    def errors(self) -> tuple[UploadIssue, ...]:
        """Only the issues with severity ``"error"``."""
        return tuple(i for i in self.issues if i.severity == "error")

    @property
    def warnings(self) -> tuple[UploadIssue, ...]:
        """Only the issues with severity ``"warning"``."""
        return tuple(i for i in self.issues if i.severity == "warning")

    def issues_frame(self) -> pd.DataFrame:
        """The issues as a table with Dutch headers, for display."""
        severity_nl = {"error": "fout", "warning": "waarschuwing", "info": "info"}
        return pd.DataFrame(
            {
                "Ernst": [severity_nl[i.severity] for i in self.issues],
                "Melding": [i.message for i in self.issues],
                "Rij": ["" if i.row is None else str(i.row) for i in self.issues],
                "Kolom": [i.column or "" for i in self.issues],
            }
        )


def validate_upload(
    data: bytes,
    filename: str,
    *,
    level: str,
    gemeentecode: str | None = None,
    known_codes: Collection[str] | None = None,
    pairs: Mapping[str, str] | None = None,
    threshold: int = 10,
    max_bytes: int = 5_000_000,
    max_rows: int = 20_000,
    max_columns: int = 100,
    sheet: str | int | None = None,
    area_names: Mapping[str, str] | None = None,
    accepted_names: Mapping[str, str] | None = None,
) -> UploadResult:
    """Check an uploaded file of aggregated figures per area.

    Parameters
    ----------
    data
        The file's bytes.
    filename
        The name it was uploaded with (its suffix decides CSV or XLSX).
    level
        ``"buurt"`` or ``"wijk"`` (or ``"gemeente"``): the level of the codes.
    gemeentecode
        When given (``GMxxxx``), every code must belong to this gemeente.
    known_codes
        When given, every code must be one of these (the areas of the selected
        gemeente and year).
    pairs
        ``{numerator column: denominator column}``: per row the numerator may
        not exceed the denominator.
    threshold
        Disclosure threshold: cells below it are reported and will be hidden.
    max_bytes, max_rows, max_columns
        Size limits.
    sheet
        XLSX sheet name or 0-based index; the first sheet by default.
    area_names
        ``{CBS code: CBS name}`` of the gemeente's areas at ``level`` for the
        year: needed for a file that names its areas instead of coding them.
        Only exact and normalised matches are used unless confirmed.
    accepted_names
        ``{name in the file: CBS code}`` the person confirmed (suggestions).

    Returns
    -------
    UploadResult

    Raises
    ------
    ValueError
        Only for bad options (an unknown level), never for bad file content.
    """
    if level not in CODE_PATTERNS:
        raise ValueError(f"level must be one of {sorted(CODE_PATTERNS)}, got {level!r}")
    pairs = dict(pairs or {})
    issues = Issues()
    details: dict[str, object] = {"size_bytes": len(data)}
    match = None

    def result(frame=None, below=None, preview=None) -> UploadResult:
        ok = not issues.has_errors and frame is not None
        return UploadResult(
            ok=ok,
            frame=frame if ok else pd.DataFrame({"code": pd.Series(dtype=str)}),
            pairs=pairs if ok else {},
            issues=issues.finish(),
            below_threshold=below if (ok and below is not None) else _empty_below(),
            preview=preview if preview is not None else pd.DataFrame(),
            filename=filename,
            level=level,
            threshold=threshold,
            details=details,
            names=match,
        )

    if len(data) == 0:
        issues.add("error", "empty", "Het bestand is leeg.", "The file is empty.")
        return result()
    if len(data) > max_bytes:
        issues.add(
            "error",
            "too_large",
            f"Het bestand is te groot ({len(data) / 1e6:.1f} MB; maximaal "
            f"{max_bytes / 1e6:.1f} MB). Verwacht wordt één regel per buurt of wijk.",
            f"The file is too large ({len(data)} bytes; limit {max_bytes}).",
        )
        return result()
    try:
        table = reshape(read_table(data, filename, max_rows=max_rows, sheet=sheet))
    except Rejected as exc:
        issues.add("error", exc.kind, exc.message_nl, exc.message_en)
        return result()
    for kind, en, nl in table.notes:
        severity = "warning" if kind in ("sheets", "swing_repeated_header") else "info"
        issues.add(severity, kind, nl, en)
    details.update(
        kind=table.kind,
        encoding=table.encoding,
        delimiter=table.delimiter,
        sheet=table.sheet,
        sheets=table.sheets,
        n_rows=len(table.rows),
    )
    preview = _preview(table)
    columns = check_header(table, issues, max_columns=max_columns)
    if columns is None:
        return result(preview=preview)
    code_col, name_col, label_cols, value_cols = columns
    details["value_columns"] = [name for _, name in value_cols]
    check_row_width(table, issues)
    if code_col is not None:
        codes, keep = check_codes(
            table, code_col, issues, level=level, gemeentecode=gemeentecode, known_codes=known_codes
        )
        checked = keep
    else:
        details["name_column"] = table.header[name_col]
        # Values of rows whose name is not (yet) matched are checked too, not used.
        codes, keep, checked, match = check_names(
            table,
            name_col,
            issues,
            level=level,
            area_names=area_names,
            accepted=accepted_names,
            known_codes=known_codes,
        )
    frame = pd.DataFrame({"code": pd.Series([codes[i] for i in checked], dtype=str)})
    comma = table.kind == "csv" and table.delimiter != ","
    for j, name in value_cols:
        frame[name] = parse_column(table, j, name, checked, issues, decimal_comma=comma)
    frame = frame.loc[frame["code"] != ""].reset_index(drop=True)
    _check_pairs(frame, table, keep, pairs, issues)
    if issues.has_errors:
        return result(preview=preview)
    for label in label_cols:
        issues.add(
            "info",
            "label_ignored",
            f"Kolom '{label}' (namen) wordt niet gebruikt.",
            f"Column {label!r} (names) is not used.",
            column=label,
        )
    below = _below_threshold(frame, threshold, issues)
    return result(frame=frame, below=below, preview=preview)


# -- steps ---------------------------------------------------------------------


def _preview(table: RawTable, n: int = 20) -> pd.DataFrame:
    width = len(table.header)
    names = [h if h else f"kolom {i + 1}" for i, h in enumerate(table.header)]
    names = [f"{h} ({i + 1})" if names.count(h) > 1 else h for i, h in enumerate(names)]
    rows = [[as_text(c) for c in (r + [None] * width)[:width]] for r in table.rows[:n]]
    return pd.DataFrame(rows, columns=names, dtype=object)


def _check_pairs(frame, table, keep, pairs, issues) -> None:
    for num, den in pairs.items():
        missing = [c for c in (num, den) if c not in frame.columns]
        if missing:
            issues.add(
                "error",
                "pair_column",
                f"Teller/noemer-kolom {', '.join(missing)} staat niet in het bestand.",
                f"Numerator/denominator column(s) {missing} not in the file.",
            )
            continue
        bad = np.flatnonzero((frame[num] > frame[den]).to_numpy())
        for k in bad:
            issues.add(
                "error",
                "numerator_above_denominator",
                f"'{num}' ({fmt(frame[num].iat[k])}) is groter dan '{den}' "
                f"({fmt(frame[den].iat[k])}) voor {frame['code'].iat[k]}.",
                f"{num!r} exceeds {den!r} for {frame['code'].iat[k]}.",
                row=table.file_rows[keep[k]],
                column=num,
                detail=True,
            )


def _below_threshold(frame: pd.DataFrame, threshold: int, issues: Issues) -> pd.DataFrame:
    long = frame.melt(id_vars="code", var_name="column", value_name="value").dropna()
    below = long.loc[long["value"] < threshold].reset_index(drop=True)
    for column, n in below.groupby("column", sort=False).size().items():
        issues.add(
            "warning",
            "below_threshold",
            f"Kolom '{column}': {n} cel(len) kleiner dan {threshold}. Die worden "
            "afgeschermd (niet getoond of geëxporteerd), net als cellen waaruit ze "
            "terug te rekenen zijn.",
            f"Column {column!r}: {n} cell(s) below {threshold} will be suppressed.",
            column=column,
        )
    return below


def _empty_below() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": pd.Series(dtype=str),
            "column": pd.Series(dtype=str),
            "value": pd.Series(dtype="float64"),
        }
    )
