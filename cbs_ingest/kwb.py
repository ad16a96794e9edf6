"""Fetch one year of Kerncijfers Wijken en Buurten and map it to canonical columns.

The table is fetched with the real :mod:`cbsodata` client (OData v3 bulk feed),
filtered server-side on the space-padded ``WijkenEnBuurten`` codes of the
requested gemeenten. CBS special values (``null`` in the typed data set,
``.``/``x`` markers, large negative sentinels) become ``NaN`` and are counted
per column with a reason; they never end up as numbers.
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from cbs_ingest import _http
from cbs_ingest.columns import CANONICAL_COLUMNS, match_columns, table_id
from cbs_ingest.errors import InputError, SourceChangedError

__all__ = ["KwbTable", "fetch_kwb", "gemeente_filter", "convert_value", "MISSING_REASONS"]

Progress = Callable[[float, str], None]

_SUFFIX = re.compile(r"^(?P<prefix>.+?)_(?P<number>\d+)$")
_GM = re.compile(r"^GM\d{4}$")

#: Reasons recorded for values that are not numbers.
MISSING_REASONS: dict[str, str] = {
    "null": "no value published (secret, not available or not yet published)",
    ".": "not available or not yet published ('.')",
    "x": "secret ('x')",
    "?": "unreliable ('?')",
    "sentinel": "CBS special value (large negative code)",
    "text": "not a number",
}

# The Wijk- en buurtkaart and KWB downloads use large negative codes for
# secret / not applicable values; no real KWB figure is this negative.
_SENTINEL_BELOW = -99990.0


@dataclass
class KwbTable:
    """One KWB year for the requested gemeenten, in canonical columns.

    Attributes
    ----------
    year, table_id
        Reference year and CBS table id.
    rows
        One row per area (``code``, ``name``, ``level``, ``gemeentecode``,
        ``gemeentenaam``, ``wijkcode`` and every canonical column).
    keys
        ``{canonical name: CBS key}`` for the columns the table has.
    missing
        ``{canonical name: {reason: count}}`` of values that became NaN.
    absent
        Canonical columns the table does not have (all-NaN in the frames).
    table_info
        ``Title``, ``Modified`` and ``Period`` from ``TableInfos``.
    retrieved_at
        UTC time of the download.
    notes
        Things worth telling the user (e.g. a filter fallback).
    missing_by_gemeente
        ``missing`` split per gemeente code (for the area store).
    """

    year: int
    table_id: str
    rows: pd.DataFrame
    keys: dict[str, str]
    missing: dict[str, dict[str, int]]
    absent: list[str]
    table_info: dict[str, Any]
    retrieved_at: datetime
    notes: list[str] = field(default_factory=list)
    missing_by_gemeente: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)


def gemeente_filter(codes: Sequence[str]) -> str:
    """OData ``$filter`` selecting a gemeente and its wijken and buurten.

    ``WijkenEnBuurten`` keys are space-padded to 10 characters, so equality on
    the bare code would miss; ``startswith`` on the code prefix matches the
    gemeente row (``GM0505    ``), its wijken (``WK050501  ``) and buurten
    (``BU05050101``).
    """
    parts: list[str] = []
    for code in codes:
        digits = code[2:]
        parts.extend(
            f"startswith(WijkenEnBuurten,'{prefix}{digits}')" for prefix in ("GM", "WK", "BU")
        )
    return " or ".join(parts)


def convert_value(value: Any) -> tuple[float, str | None]:
    """Turn one CBS cell into ``(number, None)`` or ``(nan, reason key)``."""
    if value is None:
        return math.nan, "null"
    if isinstance(value, bool):
        return float(value), None
    if isinstance(value, int | float):
        number = float(value)
        if math.isnan(number):
            return math.nan, "null"
        if number <= _SENTINEL_BELOW:
            return math.nan, "sentinel"
        return number, None
    text = str(value).strip()
    if text in (".", "x", "?"):
        return math.nan, text
    if text in ("", "-"):
        # "-" is CBS's "nihil" in printed tables; in the feed it only stands
        # in for an empty cell, so it is treated as missing, not zero.
        return math.nan, "null" if text == "" else "."
    try:
        return convert_value(float(text.replace(",", ".")))
    except ValueError:
        return math.nan, "text"


def _find_key(keys: Sequence[str], prefix: str) -> str | None:
    for key in keys:
        match = _SUFFIX.match(key)
        if match and match["prefix"] == prefix:
            return key
    return None


def _strip(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _level_of(code: str) -> str | None:
    return {"BU": "buurt", "WK": "wijk", "GM": "gemeente"}.get(code[:2])


def _report(progress: Progress | None, fraction: float, message: str) -> None:
    if progress is not None:
        progress(fraction, message)


def _download(
    tid: str,
    codes: Sequence[str] | None,
    select: list[str],
    progress: Progress | None,
    notes: list[str],
) -> dict[str, Any]:
    def on_retry(attempt: int, reason: str) -> None:
        _report(progress, 0.15, f"CBS: {reason}, nieuwe poging {attempt + 1} (retry)")

    filters = gemeente_filter(codes) if codes else None
    try:
        return _http.cbs_download(tid, filters=filters, select=select, on_retry=on_retry)
    except _http.FilterRejected:
        notes.append("The CBS server rejected $filter/$select; the whole table was fetched.")
        _report(progress, 0.2, "CBS weigert het filter; hele tabel ophalen")
        return _http.cbs_download(tid, filters=None, select=None, on_retry=on_retry)


def fetch_kwb(
    year: int,
    municipalities: Sequence[str] | None,
    *,
    progress: Progress | None = None,
) -> KwbTable:
    """Fetch one KWB year from CBS (or ``STAPELKAART_CBS_URL``).

    Parameters
    ----------
    year
        Reference year with a known KWB table.
    municipalities
        Gemeente codes (``GM0505``); ``None`` for the whole country.
    progress
        Callback receiving a fraction (0..1) and a short Dutch message.

    Raises
    ------
    InputError
        Unknown year, or a gemeente code CBS does not know for that year.
    SourceChangedError
        The table lacks the columns every KWB table has.
    SourceUnavailableError
        CBS could not be reached or answered badly, after retries.
    """
    tid = table_id(year)
    codes = sorted(set(municipalities)) if municipalities else None
    policy = _http.retry_policy()
    delays = policy.delays()
    for attempt in range(policy.attempts):
        try:
            return _fetch_once(int(year), tid, codes, progress)
        except SourceChangedError as exc:
            if attempt == policy.attempts - 1:
                raise SourceChangedError(
                    f"{exc.message} (after {policy.attempts} attempt(s))",
                    nl=f"{exc.nl} (na {policy.attempts} poging(en))",
                ) from exc
            _report(progress, 0.05, f"CBS: kolommen veranderd, nieuwe poging {attempt + 2} (retry)")
            time.sleep(delays[attempt])
    raise AssertionError("unreachable")  # pragma: no cover


def _fetch_once(
    year: int, tid: str, codes: list[str] | None, progress: Progress | None
) -> KwbTable:
    _report(progress, 0.05, f"CBS-tabel {tid} ({year}): kolommen opvragen")

    def on_retry(attempt: int, reason: str) -> None:
        _report(progress, 0.05, f"CBS: {reason}, nieuwe poging {attempt + 1} (retry)")

    props = _http.cbs_download(
        tid, filters=None, select=None, metadata_only=True, on_retry=on_retry
    )
    keys = [p.get("Key") for p in props["DataProperties"] if p.get("Key")]
    code_key = _find_key(keys, "Codering")
    mapping = match_columns(keys)
    required = {
        "WijkenEnBuurten": "WijkenEnBuurten" in keys,
        "AantalInwoners": "population" in mapping,
    }
    lacking = [name for name, ok in required.items() if not ok]
    if lacking:
        raise SourceChangedError(
            f"CBS table {tid} no longer has the columns Stapelkaart needs: {', '.join(lacking)}.",
            nl=f"CBS-tabel {tid} mist kolommen die Stapelkaart nodig heeft: {', '.join(lacking)}.",
        )
    name_key = _find_key(keys, "Gemeentenaam")
    select = ["WijkenEnBuurten"] + [k for k in (code_key, name_key) if k] + list(mapping.values())

    notes: list[str] = []
    scope = ", ".join(codes) if codes else "heel Nederland"
    _report(progress, 0.1, f"CBS-tabel {tid}: cijfers ophalen voor {scope}")
    data = _download(tid, codes, select, progress, notes)
    retrieved_at = datetime.now(UTC)

    titles = {
        str(r.get("Key", "")).strip(): _strip(r.get("Title"))
        for r in data.get("WijkenEnBuurten", []) or []
        if isinstance(r, dict)
    }
    info_rows = data.get("TableInfos") or [{}]
    info = {k: info_rows[0].get(k) for k in ("Title", "Modified", "Period", "Identifier")}

    wanted = {c[2:] for c in codes} if codes else None
    records = []
    reasons: dict[str, Counter[str]] = {name: Counter() for name in mapping}
    by_gemeente: dict[str, dict[str, Counter[str]]] = {}
    dataset = data.get("TypedDataSet")
    if dataset is None:
        dataset = data.get("UntypedDataSet", [])
    present = set().union(*(row.keys() for row in dataset)) if dataset else set(select)
    lost = [k for k in select if k not in present]
    if lost:
        raise SourceChangedError(
            f"CBS table {tid} answered without columns its DataProperties list: {', '.join(lost)}.",
            nl=f"CBS-tabel {tid} leverde kolommen niet die de tabel aankondigt: {', '.join(lost)}.",
        )
    for row in dataset:
        code = (_strip(row.get(code_key)) if code_key else None) or _strip(
            row.get("WijkenEnBuurten")
        )
        if not code:
            continue
        code = code.upper()
        level = _level_of(code)
        if level is None or (wanted is not None and code[2:6] not in wanted):
            continue
        key = _strip(row.get("WijkenEnBuurten")) or code
        title = titles.get(key) or titles.get(code)
        record: dict[str, Any] = {
            "code": code,
            "name": title if title and title != code else None,
            "level": level,
            "gemeentecode": "GM" + code[2:6],
            "gemeentenaam": _strip(row.get(name_key)) if name_key else None,
            "wijkcode": {"buurt": "WK" + code[2:8], "wijk": code}.get(level),
        }
        for name, cbs_key in mapping.items():
            value, reason = convert_value(row.get(cbs_key))
            record[name] = value
            if reason is not None:
                reasons[name][reason] += 1
                per = by_gemeente.setdefault(record["gemeentecode"], {})
                per.setdefault(name, Counter())[reason] += 1
        records.append(record)

    rows = pd.DataFrame.from_records(records, columns=_row_columns())
    rows = rows.drop_duplicates("code", keep="first").reset_index(drop=True)
    for column in CANONICAL_COLUMNS:
        rows[column.name] = pd.to_numeric(rows[column.name], errors="coerce").astype(float)
    if codes:
        found = set(rows["gemeentecode"])
        unknown = [c for c in codes if c not in found]
        if unknown:
            raise InputError(
                f"CBS table {tid} ({year}) has no gemeente {', '.join(unknown)}.",
                nl=f"CBS-tabel {tid} ({year}) kent gemeente {', '.join(unknown)} niet.",
            )
    elif rows.empty:
        raise SourceChangedError(
            f"CBS table {tid} returned no wijk or buurt rows.",
            nl=f"CBS-tabel {tid} leverde geen wijken of buurten.",
        )
    _fill_gemeentenaam(rows)
    absent = [c.name for c in CANONICAL_COLUMNS if c.name not in mapping]
    missing = {name: dict(counter) for name, counter in reasons.items() if counter}
    _report(progress, 0.45, f"CBS: {len(rows)} gebieden ontvangen")
    return KwbTable(
        year=year,
        table_id=tid,
        rows=rows,
        keys=dict(mapping),
        missing=missing,
        absent=absent,
        table_info=info,
        retrieved_at=retrieved_at,
        notes=notes,
        missing_by_gemeente={
            gm: {name: dict(counter) for name, counter in per.items()}
            for gm, per in by_gemeente.items()
        },
    )


def _row_columns() -> list[str]:
    return ["code", "name", "level", "gemeentecode", "gemeentenaam", "wijkcode"] + [
        c.name for c in CANONICAL_COLUMNS
    ]


def _fill_gemeentenaam(rows: pd.DataFrame) -> None:
    gm = rows[rows["level"] == "gemeente"]
    names = dict(zip(gm["code"], gm["name"].fillna(gm["gemeentenaam"]), strict=True))
    fallback = rows["gemeentecode"].map(names)
    rows["gemeentenaam"] = rows["gemeentenaam"].where(rows["gemeentenaam"].notna(), fallback)
    is_gm = rows["level"] == "gemeente"
    rows.loc[is_gm, "name"] = rows.loc[is_gm, "name"].fillna(rows.loc[is_gm, "gemeentenaam"])
