"""Reading an uploaded file into a header and rows of raw cells, without trusting it.

Private helper of :mod:`layers.upload`. Every refusal is a :class:`Rejected`
carrying an English and a Dutch message; nothing is written anywhere.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
from dataclasses import dataclass, field

__all__ = ["Rejected", "RawTable", "read_table"]

_TEXT_SUFFIXES = (".csv", ".txt", ".tsv")
_MACRO_SUFFIXES = (".xlsm", ".xltm", ".xlsb", ".xlam")
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls and other OLE containers
_MAX_UNZIPPED_FACTOR = 20
_DELIMITERS = (";", "\t", ",")
_DELIMITER_NAMES_NL = {";": "puntkomma", "\t": "tab", ",": "komma"}


class Rejected(Exception):  # noqa: N818 - internal control flow, never leaves layers.upload
    """The file cannot be read at all."""

    def __init__(self, kind: str, message_en: str, message_nl: str) -> None:
        super().__init__(message_en)
        self.kind = kind
        self.message_en = message_en
        self.message_nl = message_nl


@dataclass
class RawTable:
    """Header and data rows as read; cells are str, int, float, datetime or None."""

    header: list[str]
    rows: list[list[object]]
    file_rows: list[int]  # 1-based row number in the file (as a spreadsheet shows it)
    kind: str  # "csv" or "xlsx"
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    notes: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, en, nl)
    name_column: int | None = None  # set for layouts known to name areas (Swing exports)
    cell_rows: dict[tuple[int, int], int] = field(default_factory=dict)  # (row, col) -> file row


def read_table(
    data: bytes, filename: str, *, max_rows: int, sheet: str | int | None = None
) -> RawTable:
    """Decode ``data`` as CSV or XLSX and split it into header and rows.

    Raises
    ------
    Rejected
        When the file is of the wrong type or cannot be decoded.
    """
    name = filename.lower().strip()
    if name.endswith(_MACRO_SUFFIXES):
        raise Rejected(
            "macro_file",
            "Files with macros (.xlsm, .xlsb) are not accepted; save as .xlsx or .csv.",
            "Bestanden met macro's (.xlsm, .xlsb) worden niet geaccepteerd. "
            "Sla het bestand op als .xlsx of .csv.",
        )
    if name.endswith(".xls") or data.startswith(_OLE_MAGIC):
        raise Rejected(
            "old_excel",
            "Old Excel files (.xls) are not accepted; save as .xlsx or .csv.",
            "Oude Excel-bestanden (.xls) worden niet geaccepteerd. Sla op als .xlsx of .csv.",
        )
    if name.endswith(".xlsx"):
        if not data.startswith(_ZIP_MAGIC):
            raise Rejected(
                "not_xlsx",
                "The file is named .xlsx but is not an Excel workbook.",
                "Het bestand heet .xlsx maar is geen Excel-werkmap.",
            )
        return _read_xlsx(data, max_rows=max_rows, sheet=sheet)
    if name.endswith(_TEXT_SUFFIXES):
        if data.startswith(_ZIP_MAGIC):
            raise Rejected(
                "not_text",
                "The file is named .csv but is a zip/Excel file; upload it as .xlsx.",
                "Het bestand heet .csv maar is een Excel- of zip-bestand. Upload het als .xlsx.",
            )
        return _read_csv(data, max_rows=max_rows)
    raise Rejected(
        "file_type",
        "Only .csv and .xlsx files are accepted.",
        "Alleen .csv- en .xlsx-bestanden worden geaccepteerd.",
    )


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise Rejected(
            "encoding",
            "The file is UTF-16 ('Unicode text'); save it as 'CSV UTF-8'.",
            "Het bestand is opgeslagen als UTF-16 ('Unicode-tekst'). Sla het op als "
            "'CSV UTF-8 (door komma's gescheiden)'.",
        )
    if b"\x00" in data:
        raise Rejected(
            "binary",
            "The file contains binary data and is not a text (CSV) file.",
            "Het bestand bevat binaire gegevens en is geen tekstbestand (CSV).",
        )
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding), ("utf-8" if encoding == "utf-8-sig" else encoding)
        except UnicodeDecodeError:
            continue
    raise Rejected(
        "encoding",
        "The file is neither UTF-8 nor Windows-1252 text.",
        "De tekencodering van het bestand is niet UTF-8 of Windows-1252. "
        "Sla het op als 'CSV UTF-8'.",
    )


def _count_outside_quotes(line: str, char: str) -> int:
    return len(re.sub(r'"[^"]*"', "", line).split(char)) - 1


def _read_csv(data: bytes, *, max_rows: int) -> RawTable:
    text, encoding = _decode(data)
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), None)
    if first is None:
        raise Rejected("empty", "The file is empty.", "Het bestand is leeg.")
    hint = re.fullmatch(r"sep=([;,\t])", first.strip(" \ufeff"))
    # Skip Excel's separator hint and a block of '#' comment lines (as Stapelkaart's
    # own CSV exports start with) before the header; count them for row numbers.
    offset = 0
    position = 0
    for match in re.finditer(r"[^\r\n]*(?:\r\n|\r|\n)", text):
        line = match.group().rstrip("\r\n")
        stripped = line.strip().lstrip('"')
        is_hint = hint is not None and offset == 0 and line == first
        if stripped and not stripped.startswith("#") and not is_hint:
            break
        offset += 1
        position = match.end()
    if offset:
        text = text[position:]
        first = next((line for line in text.splitlines() if line.strip()), "")
        if not first:
            raise Rejected(
                "no_rows",
                "The file holds only comment lines.",
                "Het bestand bevat alleen commentaarregels en geen tabel.",
            )
    counts = {d: _count_outside_quotes(first, d) for d in _DELIMITERS}
    delimiter = hint.group(1) if hint else max(_DELIMITERS, key=lambda d: counts[d])
    if counts[delimiter] == 0:
        raise Rejected(
            "delimiter",
            "No column separator found in the first line (use ';', ',' or a tab).",
            "In de eerste regel staat geen scheidingsteken. Gebruik puntkomma, komma of tab "
            "tussen de kolommen, en zet een code-kolom en minstens één kolom met aantallen.",
        )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records: list[list[str]] = []
    file_rows: list[int] = []
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            records.append(record)
            file_rows.append(reader.line_num + offset)
            if len(records) > max_rows + 1:
                raise Rejected(
                    "too_many_rows",
                    f"The file has more than {max_rows} data rows.",
                    f"Het bestand heeft meer dan {max_rows} regels met gegevens; verwacht "
                    "wordt één regel per buurt of wijk.",
                )
    except csv.Error as exc:
        raise Rejected(
            "csv_syntax",
            f"The CSV file is malformed near line {reader.line_num}: {exc}.",
            f"Het CSV-bestand is ongeldig rond regel {reader.line_num} (bijvoorbeeld een "
            "aanhalingsteken dat niet gesloten wordt of een te lange cel).",
        ) from None
    table = RawTable(
        records[0] if records else [],
        [list(record) for record in records[1:]],  # copies typed list[object], as RawTable.rows
        file_rows[1:],
        "csv",
        encoding=encoding,
        delimiter=delimiter,
    )
    name_nl = _DELIMITER_NAMES_NL[delimiter]
    table.notes.append(
        (
            "read",
            f"Read as CSV ({encoding}, separator {delimiter!r}).",
            f"Gelezen als CSV ({encoding}, scheidingsteken: {name_nl}).",
        )
    )
    return table


def _read_xlsx(data: bytes, *, max_rows: int, sheet: str | int | None) -> RawTable:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
        names = {info.filename.lower() for info in infos}
        content_types = (
            archive.read("[Content_Types].xml") if "[content_types].xml" in names else b""
        )
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError, ValueError):
        raise Rejected(
            "xlsx_broken",
            "The Excel file is damaged and cannot be read.",
            "Het Excel-bestand is beschadigd en kan niet gelezen worden.",
        ) from None
    if any(n.endswith("vbaproject.bin") for n in names) or b"macroEnabled" in content_types:
        raise Rejected(
            "macro_file",
            "The workbook contains macros; save it as a plain .xlsx without macros.",
            "De werkmap bevat macro's. Sla het bestand op als gewone .xlsx zonder macro's.",
        )
    if sum(info.file_size for info in infos) > _MAX_UNZIPPED_FACTOR * max(len(data), 1_000_000):
        raise Rejected(
            "xlsx_bomb",
            "The workbook unpacks to an implausibly large size.",
            "De werkmap is uitgepakt onwaarschijnlijk groot en wordt niet gelezen.",
        )
    import openpyxl  # imported lazily: only needed for Excel uploads

    books = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about unsupported extensions
            # Values as Excel last computed them, and the formulas behind them: a formula
            # without a stored result must not silently become an empty cell.
            for data_only in (True, False):
                books.append(
                    openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=data_only)
                )
    except Exception:  # openpyxl raises many kinds on damaged files
        for book in books:
            book.close()
        raise Rejected(
            "xlsx_broken",
            "The Excel file is damaged and cannot be read.",
            "Het Excel-bestand is beschadigd en kan niet gelezen worden.",
        ) from None
    try:
        return _sheet_table(*books, max_rows=max_rows, sheet=sheet)
    finally:
        for book in books:
            book.close()


def _merge_formulas(values: tuple, formulas: tuple) -> list[object]:
    out = []
    for k, value in enumerate(values):
        formula = formulas[k] if k < len(formulas) else None
        if value is None and isinstance(formula, str) and formula.startswith("="):
            value = formula  # reported as a formula by the value checks
        out.append(value.strip() if isinstance(value, str) else value)
    return out


def _sheet_table(book, formula_book, *, max_rows: int, sheet: str | int | None) -> RawTable:
    sheetnames = list(book.sheetnames)
    if not sheetnames:
        raise Rejected("empty", "The workbook has no sheets.", "De werkmap heeft geen werkbladen.")
    if sheet is None:
        chosen = sheetnames[0]
    elif isinstance(sheet, int) and 0 <= sheet < len(sheetnames):
        chosen = sheetnames[sheet]
    elif isinstance(sheet, str) and sheet in sheetnames:
        chosen = sheet
    else:
        raise Rejected(
            "sheet",
            f"The workbook has no sheet {sheet!r}.",
            f"De werkmap heeft geen werkblad {sheet!r}.",
        )
    records: list[list[object]] = []
    file_rows: list[int] = []
    try:
        rows = zip(
            book[chosen].iter_rows(values_only=True),
            formula_book[chosen].iter_rows(values_only=True),
            strict=False,
        )
        for number, (values, formulas) in enumerate(rows, start=1):
            cells = _merge_formulas(values, formulas)
            if not any(c not in (None, "") for c in cells):
                continue
            records.append(cells)
            file_rows.append(number)
            if len(records) > max_rows + 1:
                raise Rejected(
                    "too_many_rows",
                    f"The sheet has more than {max_rows} data rows.",
                    f"Het werkblad heeft meer dan {max_rows} regels met gegevens; verwacht "
                    "wordt één regel per buurt of wijk.",
                )
    except Rejected:
        raise
    except Exception:
        raise Rejected(
            "xlsx_broken",
            "The Excel sheet cannot be read.",
            "Het Excel-werkblad kan niet gelezen worden.",
        ) from None
    width = max((_last_filled(r) for r in records), default=0)
    records = [list(r[:width]) + [None] * (width - len(r)) for r in records]
    header = ["" if h is None else str(h).strip() for h in (records[0] if records else [])]
    table = RawTable(header, records[1:], file_rows[1:], "xlsx", sheet=chosen, sheets=sheetnames)
    table.notes.append(
        (
            "read",
            f"Read sheet {chosen!r} of the workbook.",
            f"Werkblad '{chosen}' van de werkmap gelezen.",
        )
    )
    if len(sheetnames) > 1:
        table.notes.append(
            (
                "sheets",
                f"The workbook has {len(sheetnames)} sheets; only {chosen!r} was read.",
                f"De werkmap heeft {len(sheetnames)} werkbladen; alleen '{chosen}' is gelezen. "
                "Kies een ander werkblad als dat niet klopt.",
            )
        )
    return table


def _last_filled(row: list[object]) -> int:
    for i in range(len(row) - 1, -1, -1):
        if row[i] not in (None, ""):
            return i + 1
    return 0
