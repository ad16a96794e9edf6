"""Validation of a municipality's own aggregated figures before they join the analysis.

:func:`validate_upload` is pure: bytes, a file name and options go in, an
:class:`UploadResult` comes out. Nothing is stored, nothing raises for bad
content: every problem becomes an :class:`UploadIssue` with a Dutch message
(for the app), an English one (for the command line) and the row and column
where it was found. Only an upload without errors (``result.ok``) may be used.

Accepted: ``.csv`` (UTF-8 or Windows-1252; ``;``, tab or ``,`` between
columns; Dutch decimal commas) and ``.xlsx`` (first sheet unless chosen; no
macros), with one row per area: a code column, optional name columns (ignored)
and numeric, non-negative count columns. Files that look like person-level data
(columns such as BSN, geboortedatum, naam or adres, several rows per code) are
refused with an explanation.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from layers._upload_read import RawTable, Rejected, read_table
from layers._upload_values import as_text, fmt, is_number, parse_column

__all__ = [
    "CODE_PATTERNS",
    "UploadIssue",
    "UploadResult",
    "validate_upload",
]

#: Valid CBS area codes per level; Amsterdam uses letters since 2023.
CODE_PATTERNS: dict[str, re.Pattern[str]] = {
    "buurt": re.compile(r"^BU[0-9A-Z]{8}$"),
    "wijk": re.compile(r"^WK[0-9A-Z]{6}$"),
    "gemeente": re.compile(r"^GM[0-9]{4}$"),
}
_LEVEL_NL = {"buurt": "buurtcode", "wijk": "wijkcode", "gemeente": "gemeentecode"}
_CODE_HEADERS = {"code", "buurtcode", "wijkcode", "gebiedscode", "regiocode", "gwbcode",
                 "gwbcode10", "gwbcode8", "bucode", "wkcode", "codering", "areacode"}
_LABEL_HEADERS = {"buurtnaam", "wijknaam", "gebiedsnaam", "gebied", "buurt", "wijk",
                  "gemeentenaam", "regionaam", "omschrijving", "areaname", "gmnaam"}
_PERSON_HEADERS = {
    "bsn": "BSN", "burgerservicenummer": "BSN", "sofinummer": "BSN",
    "geboortedatum": "geboortedatum", "gebdatum": "geboortedatum", "geboortejaar": "geboortejaar",
    "dateofbirth": "geboortedatum", "birthdate": "geboortedatum", "leeftijd": "leeftijd",
    "naam": "naam", "voornaam": "naam", "voornamen": "naam", "achternaam": "naam",
    "geslachtsnaam": "naam", "voorletters": "naam", "tussenvoegsel": "naam", "name": "naam",
    "adres": "adres", "straat": "adres", "straatnaam": "adres", "huisnummer": "adres",
    "postcode": "adres", "woonplaats": "adres", "address": "adres", "telefoon": "telefoon",
    "telefoonnummer": "telefoon", "email": "e-mail", "emailadres": "e-mail",
    "clientnummer": "cliëntnummer", "clientid": "cliëntnummer", "dossiernummer": "dossiernummer",
}
_TOTAL_ROW = {"totaal", "total", "gemeente", "totaalgemeente", "som"}
_MAX_DETAILS = 10  # detailed issues per kind and column; the rest is summarised


@dataclass(frozen=True)
class UploadIssue:
    """One finding about an upload.

    Attributes
    ----------
    severity
        ``"error"`` (the upload cannot be used), ``"warning"`` or ``"info"``.
    kind
        Stable machine key, e.g. ``"unknown_code"`` or ``"person_level"``.
    message
        Dutch, plain text (escape it before putting it into HTML or Markdown).
    message_en
        English, for the command line and logs.
    row
        1-based row number in the file as a spreadsheet shows it, or None.
    column
        Column name in the file, or None.
    """

    severity: str
    kind: str
    message: str
    message_en: str
    row: int | None = None
    column: str | None = None


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


class _Issues:
    """Collects issues, capping details per (kind, column) and summarising the rest."""

    def __init__(self) -> None:
        self.items: list[UploadIssue] = []
        self._overflow: dict[tuple[str, str | None], list] = {}

    def add(self, severity, kind, nl, en, *, row=None, column=None, detail=False) -> None:
        if detail:
            key = (kind, column)
            seen = self._overflow.setdefault(key, [severity, 0])
            seen[1] += 1
            if seen[1] > _MAX_DETAILS:
                return
        self.items.append(UploadIssue(severity, kind, nl, en, row, column))

    def finish(self) -> tuple[UploadIssue, ...]:
        for (kind, column), (severity, n) in self._overflow.items():
            if n > _MAX_DETAILS:
                extra = n - _MAX_DETAILS
                self.items.append(UploadIssue(
                    severity, kind,
                    f"... en nog {extra} regel(s) met hetzelfde probleem.",
                    f"... and {extra} more row(s) with the same problem.", None, column))
        rank = {"error": 0, "warning": 1, "info": 2}
        return tuple(sorted(self.items, key=lambda i: rank[i.severity]))

    @property
    def has_errors(self) -> bool:
        return any(i.severity == "error" for i in self.items)


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
    issues = _Issues()
    details: dict[str, object] = {"size_bytes": len(data)}

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
        )

    if len(data) == 0:
        issues.add("error", "empty", "Het bestand is leeg.", "The file is empty.")
        return result()
    if len(data) > max_bytes:
        issues.add("error", "too_large",
                   f"Het bestand is te groot ({len(data) / 1e6:.1f} MB; maximaal "
                   f"{max_bytes / 1e6:.1f} MB). Verwacht wordt één regel per buurt of wijk.",
                   f"The file is too large ({len(data)} bytes; limit {max_bytes}).")
        return result()
    try:
        table = read_table(data, filename, max_rows=max_rows, sheet=sheet)
    except Rejected as exc:
        issues.add("error", exc.kind, exc.message_nl, exc.message_en)
        return result()
    for kind, en, nl in table.notes:
        issues.add("warning" if kind == "sheets" else "info", kind, nl, en)
    details.update(kind=table.kind, encoding=table.encoding, delimiter=table.delimiter,
                   sheet=table.sheet, sheets=table.sheets, n_rows=len(table.rows))
    preview = _preview(table)
    columns = _check_header(table, issues, max_columns=max_columns)
    if columns is None:
        return result(preview=preview)
    code_col, label_cols, value_cols = columns
    details["value_columns"] = [name for _, name in value_cols]
    _check_row_width(table, issues)
    codes, keep = _check_codes(table, code_col, issues, level=level,
                               gemeentecode=gemeentecode, known_codes=known_codes)
    frame = pd.DataFrame({"code": pd.Series([codes[i] for i in keep], dtype=str)})
    comma = table.kind == "csv" and table.delimiter != ","
    for j, name in value_cols:
        frame[name] = parse_column(table, j, name, keep, issues, decimal_comma=comma)
    _check_pairs(frame, table, keep, pairs, issues)
    if issues.has_errors:
        return result(preview=preview)
    for label in label_cols:
        issues.add("info", "label_ignored", f"Kolom '{label}' (namen) wordt niet gebruikt.",
                   f"Column {label!r} (names) is not used.", column=label)
    below = _below_threshold(frame, threshold, issues)
    return result(frame=frame, below=below, preview=preview)


# -- steps ---------------------------------------------------------------------


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower().replace("ë", "e").replace("é", "e"))


def _preview(table: RawTable, n: int = 20) -> pd.DataFrame:
    width = len(table.header)
    names = [h if h else f"kolom {i + 1}" for i, h in enumerate(table.header)]
    names = [f"{h} ({i + 1})" if names.count(h) > 1 else h for i, h in enumerate(names)]
    rows = [[as_text(c) for c in (r + [None] * width)[:width]] for r in table.rows[:n]]
    return pd.DataFrame(rows, columns=names, dtype=object)


def _check_header(table: RawTable, issues: _Issues, *, max_columns: int):
    header = [h.strip() if isinstance(h, str) else str(h) for h in table.header]
    if not table.rows:
        issues.add("error", "no_rows", "Het bestand bevat geen regels met gegevens onder de "
                   "kolomnamen.", "The file has no data rows below the header.")
        return None
    if len(header) > max_columns:
        issues.add("error", "too_many_columns",
                   f"Het bestand heeft {len(header)} kolommen; maximaal {max_columns}.",
                   f"The file has {len(header)} columns; the limit is {max_columns}.")
        return None
    if any(any(p.match(h.upper()) for p in CODE_PATTERNS.values()) or is_number(h)
           for h in header if h):
        issues.add("error", "no_header",
                   "De eerste regel moet kolomnamen bevatten (bijvoorbeeld 'buurtcode;aantal'), "
                   "maar bevat codes of getallen.",
                   "The first line must hold column names but holds codes or numbers.", row=1)
        return None
    for j, h in enumerate(header):
        if not h:
            issues.add("error", "empty_header", f"Kolom {j + 1} heeft geen naam.",
                       f"Column {j + 1} has no name.", row=1)
        elif len(h) > 80 or any(ord(c) < 32 for c in h):
            issues.add("error", "bad_header",
                       f"Kolomnaam in kolom {j + 1} is te lang of bevat onzichtbare tekens.",
                       f"The name of column {j + 1} is too long or has control characters.",
                       row=1)
    normalised = [_norm(h) for h in header]
    dupes = sorted({h for h, n in zip(header, normalised, strict=True)
                    if n and normalised.count(n) > 1})
    if dupes:
        issues.add("error", "duplicate_header",
                   f"Kolomnamen komen dubbel voor: {', '.join(dupes)}.",
                   f"Duplicate column names: {', '.join(dupes)}.", row=1)
    person = [(h, _PERSON_HEADERS[n]) for h, n in zip(header, normalised, strict=True)
              if n in _PERSON_HEADERS]
    if person:
        found = ", ".join(f"'{h}' ({kind})" for h, kind in person)
        issues.add("error", "person_level",
                   f"Het bestand lijkt persoonsgegevens te bevatten: kolom(men) {found}. "
                   "Stapelkaart accepteert alleen geaggregeerde aantallen per buurt of wijk "
                   "(één regel per gebied), nooit gegevens over personen (AVG).",
                   f"The file looks like person-level data: column(s) {found}. Only "
                   "aggregated counts per area are accepted.", row=1)
    if issues.has_errors:
        return None
    code_idx = next((j for j, n in enumerate(normalised) if n in _CODE_HEADERS), None)
    if code_idx is None:
        code_idx = _guess_code_column(table)
    if code_idx is None:
        issues.add("error", "no_code_column",
                   "Geen kolom met buurt- of wijkcodes gevonden. Noem de kolom 'code', "
                   "'buurtcode' of 'wijkcode' en gebruik CBS-codes zoals BU03440000.",
                   "No column with area codes found; name it 'code', 'buurtcode' or 'wijkcode'.")
        return None
    labels = [h for j, (h, n) in enumerate(zip(header, normalised, strict=True))
              if j != code_idx and n in _LABEL_HEADERS]
    values = [(j, h) for j, (h, n) in enumerate(zip(header, normalised, strict=True))
              if j != code_idx and n not in _LABEL_HEADERS]
    if not values:
        issues.add("error", "no_values", "Het bestand heeft naast de codes geen kolom met "
                   "aantallen.", "The file has no count column besides the codes.")
        return None
    return code_idx, labels, values


def _check_row_width(table: RawTable, issues: _Issues) -> None:
    width = len(table.header)
    for row, line in zip(table.rows, table.file_rows, strict=True):
        if any(c not in (None, "") for c in row[width:]):
            issues.add("error", "extra_values",
                       f"Regel heeft meer waarden ({len(row)}) dan er kolommen zijn ({width}).",
                       f"Row has more values ({len(row)}) than there are columns ({width}).",
                       row=line, detail=True)


def _guess_code_column(table: RawTable) -> int | None:
    width = len(table.header)
    for j in range(width):
        cells = [str(r[j]).strip().upper() for r in table.rows[:200] if j < len(r) and r[j]]
        hits = sum(any(p.match(c) for p in CODE_PATTERNS.values()) for c in cells)
        if cells and hits >= 0.8 * len(cells):
            return j
    return None


def _check_codes(table, code_col, issues, *, level, gemeentecode, known_codes):
    pattern = CODE_PATTERNS[level]
    known = None if known_codes is None else {str(c).strip().upper() for c in known_codes}
    gm = None if gemeentecode is None else str(gemeentecode).strip().upper()
    codes: list[str] = []
    keep: list[int] = []
    col = table.header[code_col]
    for i, row in enumerate(table.rows):
        line = table.file_rows[i]
        raw = row[code_col] if code_col < len(row) else None
        code = "" if raw is None else str(raw).strip().upper()
        codes.append(code)
        shown = as_text(str(raw).strip())
        if not code:
            issues.add("error", "missing_code", "Regel zonder code.", "Row without a code.",
                       row=line, column=col, detail=True)
        elif _norm(code) in _TOTAL_ROW:
            issues.add("warning", "total_row", "Totaalregel overgeslagen.", "Total row skipped.",
                       row=line, column=col)
        elif not pattern.match(code):
            other = next((lv for lv, p in CODE_PATTERNS.items() if p.match(code)), None)
            nl = (f"'{shown}' is een {_LEVEL_NL[other]}; verwacht een {_LEVEL_NL[level]}."
                  if other else f"'{shown}' is geen geldige {_LEVEL_NL[level]}.")
            issues.add("error", "bad_code", nl, f"{shown!r} is not a valid {level} code.",
                       row=line, column=col, detail=True)
        elif gm is not None and code[2:6] != gm[2:6]:
            issues.add("error", "other_gemeente", f"'{shown}' hoort niet bij gemeente {gm}.",
                       f"{shown!r} does not belong to gemeente {gm}.", row=line, column=col,
                       detail=True)
        elif known is not None and code not in known:
            issues.add("error", "unknown_code",
                       f"Onbekende code '{shown}': dit gebied bestaat niet in de gekozen "
                       "gemeente en dit jaar.", f"Unknown code {shown!r}.",
                       row=line, column=col, detail=True)
        else:
            keep.append(i)
    counts = pd.Series([codes[i] for i in keep]).value_counts()
    repeated = counts[counts > 1]
    if len(repeated):
        if counts.max() >= 3 or (len(keep) >= 10 and len(keep) >= 1.5 * len(counts)):
            issues.add("error", "person_level",
                       f"Codes komen meerdere keren voor (tot {counts.max()} keer, "
                       f"{len(keep)} regels voor {len(counts)} gebieden). Dit lijkt op gegevens "
                       "per persoon of per huishouden. Lever alleen totalen per gebied aan "
                       "(één regel per code).",
                       f"Codes repeat (up to {counts.max()} times): this looks like "
                       "person-level data; upload one row per area.", column=col)
        else:
            for code in repeated.index[:_MAX_DETAILS]:
                issues.add("error", "duplicate_code",
                           f"Code '{as_text(code)}' komt {repeated[code]} keer voor; "
                           "verwacht één regel per gebied.",
                           f"Code {code!r} occurs {repeated[code]} times.", column=col)
    return codes, keep


def _check_pairs(frame, table, keep, pairs, issues) -> None:
    for num, den in pairs.items():
        missing = [c for c in (num, den) if c not in frame.columns]
        if missing:
            issues.add("error", "pair_column",
                       f"Teller/noemer-kolom {', '.join(missing)} staat niet in het bestand.",
                       f"Numerator/denominator column(s) {missing} not in the file.")
            continue
        bad = np.flatnonzero((frame[num] > frame[den]).to_numpy())
        for k in bad:
            issues.add("error", "numerator_above_denominator",
                       f"'{num}' ({fmt(frame[num].iat[k])}) is groter dan '{den}' "
                       f"({fmt(frame[den].iat[k])}) voor {frame['code'].iat[k]}.",
                       f"{num!r} exceeds {den!r} for {frame['code'].iat[k]}.",
                       row=table.file_rows[keep[k]], column=num, detail=True)


def _below_threshold(frame: pd.DataFrame, threshold: int, issues: _Issues) -> pd.DataFrame:
    long = frame.melt(id_vars="code", var_name="column", value_name="value").dropna()
    below = long.loc[long["value"] < threshold].reset_index(drop=True)
    for column, n in below.groupby("column", sort=False).size().items():
        issues.add("warning", "below_threshold",
                   f"Kolom '{column}': {n} cel(len) kleiner dan {threshold}. Die worden "
                   "afgeschermd (niet getoond of geëxporteerd), net als cellen waaruit ze "
                   "terug te rekenen zijn.",
                   f"Column {column!r}: {n} cell(s) below {threshold} will be suppressed.",
                   column=column)
    return below


def _empty_below() -> pd.DataFrame:
    return pd.DataFrame({"code": pd.Series(dtype=str), "column": pd.Series(dtype=str),
                         "value": pd.Series(dtype="float64")})
