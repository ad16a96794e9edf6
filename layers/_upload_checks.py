"""Checks of an upload's header and code column. Private helper of :mod:`layers.upload`."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from layers._upload_read import RawTable
from layers._upload_values import as_text, is_number

__all__ = [
    "CODE_HEADERS",
    "CODE_PATTERNS",
    "Issues",
    "UploadIssue",
    "check_codes",
    "check_header",
    "check_row_width",
    "is_total",
    "norm_header",
]

#: Valid CBS area codes per level; Amsterdam uses letters since 2023.
CODE_PATTERNS: dict[str, re.Pattern[str]] = {
    "buurt": re.compile(r"^BU[0-9A-Z]{8}$"),
    "wijk": re.compile(r"^WK[0-9A-Z]{6}$"),
    "gemeente": re.compile(r"^GM[0-9]{4}$"),
}
_LEVEL_NL = {"buurt": "buurtcode", "wijk": "wijkcode", "gemeente": "gemeentecode"}
CODE_HEADERS = {
    "code",
    "buurtcode",
    "wijkcode",
    "gebiedscode",
    "regiocode",
    "gwbcode",
    "gwbcode10",
    "gwbcode8",
    "bucode",
    "wkcode",
    "codering",
    "areacode",
}
_LABEL_HEADERS = {
    "buurtnaam",
    "wijknaam",
    "gebiedsnaam",
    "gebied",
    "buurt",
    "wijk",
    "gemeentenaam",
    "regionaam",
    "omschrijving",
    "areaname",
    "gmnaam",
    "buurten",
    "wijken",
    "gebieden",
}
#: Label headers whose column can stand in for codes: area names matched to CBS names.
_NAME_HEADERS = _LABEL_HEADERS - {"gemeentenaam", "gmnaam"}
_PERSON_HEADERS = {
    "bsn": "BSN",
    "burgerservicenummer": "BSN",
    "sofinummer": "BSN",
    "geboortedatum": "geboortedatum",
    "gebdatum": "geboortedatum",
    "geboortejaar": "geboortejaar",
    "dateofbirth": "geboortedatum",
    "birthdate": "geboortedatum",
    "leeftijd": "leeftijd",
    "naam": "naam",
    "voornaam": "naam",
    "voornamen": "naam",
    "achternaam": "naam",
    "geslachtsnaam": "naam",
    "voorletters": "naam",
    "tussenvoegsel": "naam",
    "name": "naam",
    "adres": "adres",
    "straat": "adres",
    "straatnaam": "adres",
    "huisnummer": "adres",
    "postcode": "adres",
    "woonplaats": "adres",
    "address": "adres",
    "telefoon": "telefoon",
    "telefoonnummer": "telefoon",
    "email": "e-mail",
    "emailadres": "e-mail",
    "clientnummer": "cliëntnummer",
    "clientid": "cliëntnummer",
    "dossiernummer": "dossiernummer",
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


class Issues:
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
                self.items.append(
                    UploadIssue(
                        severity,
                        kind,
                        f"... en nog {extra} regel(s) met hetzelfde probleem.",
                        f"... and {extra} more row(s) with the same problem.",
                        None,
                        column,
                    )
                )
        rank = {"error": 0, "warning": 1, "info": 2}
        return tuple(sorted(self.items, key=lambda i: rank[i.severity]))

    @property
    def has_errors(self) -> bool:
        return any(i.severity == "error" for i in self.items)


def is_total(text: str) -> bool:
    """Whether a code or name cell marks a total row ("Totaal", "Buurten totaal")."""
    norm = norm_header(text)
    return norm in _TOTAL_ROW or bool(re.search(r"(^|[^a-z])tota(a)?l([^a-z]|$)", text.lower()))


def norm_header(name: str) -> str:
    """A header or code cell reduced to lower-case letters and digits, for comparison."""
    return re.sub(r"[^a-z0-9]", "", name.lower().replace("ë", "e").replace("é", "e"))


def check_header(table: RawTable, issues: Issues, *, max_columns: int):
    header = [h.strip() if isinstance(h, str) else str(h) for h in table.header]
    if not table.rows:
        issues.add(
            "error",
            "no_rows",
            "Het bestand bevat geen regels met gegevens onder de kolomnamen.",
            "The file has no data rows below the header.",
        )
        return None
    if len(header) > max_columns:
        issues.add(
            "error",
            "too_many_columns",
            f"Het bestand heeft {len(header)} kolommen; maximaal {max_columns}.",
            f"The file has {len(header)} columns; the limit is {max_columns}.",
        )
        return None
    if any(
        any(p.match(h.upper()) for p in CODE_PATTERNS.values()) or is_number(h) for h in header if h
    ):
        issues.add(
            "error",
            "no_header",
            "De eerste regel moet kolomnamen bevatten (bijvoorbeeld 'buurtcode;aantal'), "
            "maar bevat codes of getallen.",
            "The first line must hold column names but holds codes or numbers.",
            row=1,
        )
        return None
    for j, h in enumerate(header):
        if not h:
            issues.add(
                "error",
                "empty_header",
                f"Kolom {j + 1} heeft geen naam.",
                f"Column {j + 1} has no name.",
                row=1,
            )
        elif len(h) > 80 or any(ord(c) < 32 for c in h):
            issues.add(
                "error",
                "bad_header",
                f"Kolomnaam in kolom {j + 1} is te lang of bevat onzichtbare tekens.",
                f"The name of column {j + 1} is too long or has control characters.",
                row=1,
            )
    normalised = [norm_header(h) for h in header]
    dupes = sorted(
        {h for h, n in zip(header, normalised, strict=True) if n and normalised.count(n) > 1}
    )
    if dupes:
        issues.add(
            "error",
            "duplicate_header",
            f"Kolomnamen komen dubbel voor: {', '.join(dupes)}.",
            f"Duplicate column names: {', '.join(dupes)}.",
            row=1,
        )
    person = [
        (h, _PERSON_HEADERS[n])
        for h, n in zip(header, normalised, strict=True)
        if n in _PERSON_HEADERS
    ]
    if person:
        found = ", ".join(f"'{h}' ({kind})" for h, kind in person)
        issues.add(
            "error",
            "person_level",
            f"Het bestand lijkt persoonsgegevens te bevatten: kolom(men) {found}. "
            "Stapelkaart accepteert alleen geaggregeerde aantallen per buurt of wijk "
            "(één regel per gebied), nooit gegevens over personen (AVG).",
            f"The file looks like person-level data: column(s) {found}. Only "
            "aggregated counts per area are accepted.",
            row=1,
        )
    if issues.has_errors:
        return None
    code_idx = next((j for j, n in enumerate(normalised) if n in CODE_HEADERS), None)
    if code_idx is None:
        code_idx = _guess_code_column(table)
    name_idx = None
    if code_idx is None:
        name_idx = table.name_column
        if name_idx is None:
            name_idx = next((j for j, n in enumerate(normalised) if n in _NAME_HEADERS), None)
    if code_idx is None and name_idx is None:
        issues.add(
            "error",
            "no_code_column",
            "Geen kolom met buurt- of wijkcodes gevonden. Noem de kolom 'code', "
            "'buurtcode' of 'wijkcode' en gebruik CBS-codes zoals BU03440000, of noem een "
            "kolom met CBS-gebiedsnamen 'buurtnaam' of 'wijknaam'.",
            "No column with area codes found; name it 'code', 'buurtcode' or 'wijkcode' "
            "(or 'buurtnaam'/'wijknaam' for area names).",
        )
        return None
    key_idx = code_idx if code_idx is not None else name_idx
    labels = [
        h
        for j, (h, n) in enumerate(zip(header, normalised, strict=True))
        if j != key_idx and n in _LABEL_HEADERS
    ]
    values = [
        (j, h)
        for j, (h, n) in enumerate(zip(header, normalised, strict=True))
        if j != key_idx and n not in _LABEL_HEADERS
    ]
    if not values:
        issues.add(
            "error",
            "no_values",
            "Het bestand heeft naast de codes geen kolom met aantallen.",
            "The file has no count column besides the codes.",
        )
        return None
    return code_idx, name_idx, labels, values


def check_row_width(table: RawTable, issues: Issues) -> None:
    width = len(table.header)
    for row, line in zip(table.rows, table.file_rows, strict=True):
        if any(c not in (None, "") for c in row[width:]):
            issues.add(
                "error",
                "extra_values",
                f"Regel heeft meer waarden ({len(row)}) dan er kolommen zijn ({width}).",
                f"Row has more values ({len(row)}) than there are columns ({width}).",
                row=line,
                detail=True,
            )


def _guess_code_column(table: RawTable) -> int | None:
    width = len(table.header)
    for j in range(width):
        cells = [str(r[j]).strip().upper() for r in table.rows[:200] if j < len(r) and r[j]]
        hits = sum(any(p.match(c) for p in CODE_PATTERNS.values()) for c in cells)
        if cells and hits >= 0.8 * len(cells):
            return j
    return None


def check_codes(table, code_col, issues, *, level, gemeentecode, known_codes):
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
            issues.add(
                "error",
                "missing_code",
                "Regel zonder code.",
                "Row without a code.",
                row=line,
                column=col,
                detail=True,
            )
        elif norm_header(code) in _TOTAL_ROW:
            issues.add(
                "warning",
                "total_row",
                "Totaalregel overgeslagen.",
                "Total row skipped.",
                row=line,
                column=col,
            )
        elif not pattern.match(code):
            other = next((lv for lv, p in CODE_PATTERNS.items() if p.match(code)), None)
            nl = (
                f"'{shown}' is een {_LEVEL_NL[other]}; verwacht een {_LEVEL_NL[level]}."
                if other
                else f"'{shown}' is geen geldige {_LEVEL_NL[level]}."
            )
            issues.add(
                "error",
                "bad_code",
                nl,
                f"{shown!r} is not a valid {level} code.",
                row=line,
                column=col,
                detail=True,
            )
        elif gm is not None and code[2:6] != gm[2:6]:
            issues.add(
                "error",
                "other_gemeente",
                f"'{shown}' hoort niet bij gemeente {gm}.",
                f"{shown!r} does not belong to gemeente {gm}.",
                row=line,
                column=col,
                detail=True,
            )
        elif known is not None and code not in known:
            issues.add(
                "error",
                "unknown_code",
                f"Onbekende code '{shown}': dit gebied bestaat niet in de gekozen "
                "gemeente en dit jaar.",
                f"Unknown code {shown!r}.",
                row=line,
                column=col,
                detail=True,
            )
        else:
            keep.append(i)
    counts = pd.Series([codes[i] for i in keep]).value_counts()
    repeated = counts[counts > 1]
    if len(repeated):
        if counts.max() >= 3 or (len(keep) >= 10 and len(keep) >= 1.5 * len(counts)):
            issues.add(
                "error",
                "person_level",
                f"Codes komen meerdere keren voor (tot {counts.max()} keer, "
                f"{len(keep)} regels voor {len(counts)} gebieden). Dit lijkt op gegevens "
                "per persoon of per huishouden. Lever alleen totalen per gebied aan "
                "(één regel per code).",
                f"Codes repeat (up to {counts.max()} times): this looks like "
                "person-level data; upload one row per area.",
                column=col,
            )
        else:
            for code in repeated.index[:_MAX_DETAILS]:
                issues.add(
                    "error",
                    "duplicate_code",
                    f"Code '{as_text(code)}' komt {repeated[code]} keer voor; "
                    "verwacht één regel per gebied.",
                    f"Code {code!r} occurs {repeated[code]} times.",
                    column=col,
                )
    return codes, keep
