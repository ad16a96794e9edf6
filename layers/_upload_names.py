"""The area-name column of an upload, matched to CBS codes.

Private helper of :mod:`layers.upload`.

Only exact and normalised matches (and suggestions the person accepted) are
kept; rows with a suggestion that was not confirmed, or with no match at all,
are reported and left out. See :mod:`layers.area_names` for the matching model.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import pandas as pd

from layers._upload_checks import Issues, is_total
from layers._upload_read import RawTable
from layers._upload_values import as_text
from layers.area_names import NameMatch, match_names

__all__ = ["check_names"]

_LEVEL_NL = {"buurt": "buurtnaam", "wijk": "wijknaam", "gemeente": "gemeentenaam"}
_LEVEL_NL_PLURAL = {"buurt": "buurtnamen", "wijk": "wijknamen", "gemeente": "gemeentenamen"}
_MAX_LISTED = 10


def check_names(
    table: RawTable,
    name_col: int,
    issues: Issues,
    *,
    level: str,
    area_names: Mapping[str, str] | None,
    accepted: Mapping[str, str] | None,
    known_codes: Collection[str] | None,
) -> tuple[list[str], list[int], list[int], NameMatch | None]:
    """Codes per row (``""`` when not matched), rows to keep, rows to check, the match."""
    col = table.header[name_col]
    names: list[str] = []
    candidates: list[int] = []
    for i, row in enumerate(table.rows):
        line = table.file_rows[i]
        raw = row[name_col] if name_col < len(row) else None
        name = "" if raw is None else str(raw).strip()
        names.append(name)
        if not name:
            issues.add(
                "error",
                "missing_name",
                "Regel zonder gebiedsnaam.",
                "Row without an area name.",
                row=line,
                column=col,
                detail=True,
            )
        elif name[0] in "=+@\t\r":
            issues.add(
                "error",
                "formula",
                f"Gebiedsnaam '{as_text(name)}' begint met een formuleteken.",
                f"Area name {as_text(name)!r} starts with a formula character.",
                row=line,
                column=col,
                detail=True,
            )
        elif is_total(name):
            issues.add(
                "warning",
                "total_row",
                f"Totaalregel '{as_text(name)}' overgeslagen.",
                f"Total row {as_text(name)!r} skipped.",
                row=line,
                column=col,
            )
        else:
            candidates.append(i)
    _check_repeats([names[i] for i in candidates], issues, col)
    codes = [""] * len(names)
    if not candidates and not issues.has_errors:
        issues.add(
            "error",
            "no_name_matched",
            "Het bestand heeft geen regels met een gebiedsnaam, alleen totaalregels.",
            "The file has no rows with an area name, only total rows.",
            column=col,
        )
    if issues.has_errors or not candidates:
        return codes, [], candidates, None
    if area_names is None:
        issues.add(
            "error",
            "names_unchecked",
            f"Het bestand noemt de gebieden bij naam ('{col}') in plaats van met een CBS-code. "
            f"Om de namen te koppelen zijn de CBS-{_LEVEL_NL_PLURAL[level]} van de gemeente en het "
            "jaar nodig, en die zijn hier niet beschikbaar. Haal eerst de CBS-gegevens van de "
            "gemeente op, of lever een kolom met CBS-codes.",
            f"The file names areas ({col!r}) instead of coding them; the CBS {level} names of "
            "the gemeente and year are needed to match them and are not available.",
            column=col,
        )
        return codes, [], candidates, None
    match = match_names([names[i] for i in candidates], area_names, accepted=accepted)
    known = None if known_codes is None else {str(c).strip().upper() for c in known_codes}
    keep: list[int] = []
    used: dict[str, int] = {}
    for i in candidates:
        code = match.matched.get(names[i])
        if code is None or (known is not None and code not in known):
            continue
        if code in used:
            issues.add(
                "error",
                "duplicate_code",
                f"'{as_text(names[i])}' en '{as_text(names[used[code]])}' horen bij hetzelfde "
                f"gebied ({code}); verwacht één regel per gebied.",
                f"{names[i]!r} and {names[used[code]]!r} both match {code}.",
                row=table.file_rows[i],
                column=col,
            )
            continue
        used[code] = i
        codes[i] = code
        keep.append(i)
    _report(match, issues, col, level)
    if not keep and not issues.has_errors:
        issues.add(
            "error",
            "no_name_matched",
            f"Geen enkele gebiedsnaam komt overeen met een CBS-{_LEVEL_NL[level]} van deze "
            "gemeente. Bevestig de voorgestelde namen, of controleer de gemeente, het jaar en "
            "het niveau (buurt of wijk).",
            f"No area name matches a CBS {level} name of this gemeente.",
            column=col,
        )
    return codes, keep, candidates, match


def _check_repeats(names: list[str], issues: Issues, col: str) -> None:
    counts = pd.Series(names, dtype=object).value_counts()
    repeated = counts[counts > 1]
    if not len(repeated):
        return
    if counts.max() >= 3:
        issues.add(
            "error",
            "person_level",
            f"Gebiedsnamen komen meerdere keren voor (tot {counts.max()} keer). Dit lijkt op "
            "gegevens per persoon of per huishouden. Lever alleen totalen per gebied aan "
            "(één regel per gebied).",
            f"Area names repeat (up to {counts.max()} times): this looks like person-level data.",
            column=col,
        )
        return
    for name in repeated.index[:_MAX_LISTED]:
        issues.add(
            "error",
            "duplicate_code",
            f"Gebiedsnaam '{as_text(name)}' komt {repeated[name]} keer voor; verwacht één "
            "regel per gebied.",
            f"Area name {name!r} occurs {repeated[name]} times.",
            column=col,
        )


def _report(match: NameMatch, issues: Issues, col: str, level: str) -> None:
    counts = match.counts()
    issues.add(
        "info",
        "names_matched",
        f"Gebiedsnamen gekoppeld aan CBS-{_LEVEL_NL_PLURAL[level]}: "
        f"{counts['exact']} precies gelijk, "
        f"{counts['normalised']} na gelijktrekken (hoofdletters, 'Buurt ', 'e.o.'), "
        f"{counts['accepted']} door u bevestigd; {counts['suggested']} voorstel(len) nog niet "
        f"bevestigd, {counts['unmatched']} niet gevonden.",
        f"Area names matched: {counts['exact']} exact, {counts['normalised']} normalised, "
        f"{counts['accepted']} accepted; {counts['suggested']} suggested, "
        f"{counts['unmatched']} unmatched.",
        column=col,
    )
    for name, found in match.suggestions.items():
        options = ", ".join(f"'{c.name}' ({c.code})" for c in found)
        why = (
            "past bij meer dan één CBS-gebied"
            if name in match.ambiguous
            else "komt niet precies voor; lijkt op"
        )
        issues.add(
            "warning",
            "name_suggestion",
            f"'{as_text(name)}' {why}: {options}. Bevestig de juiste; zonder bevestiging "
            "wordt deze regel niet gebruikt.",
            f"{name!r} needs confirmation; candidates: "
            + ", ".join(f"{c.name!r} ({c.code}, {c.score:.0f})" for c in found),
            column=col,
            detail=True,
        )
    for name in match.unmatched:
        issues.add(
            "warning",
            "name_unmatched",
            f"'{as_text(name)}' is geen CBS-{_LEVEL_NL[level]} van deze gemeente en dit jaar; "
            "deze regel wordt niet gebruikt.",
            f"{name!r} matches no CBS {level} name; the row is not used.",
            column=col,
            detail=True,
        )
