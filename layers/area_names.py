"""Matching area *names* from a municipality's own file to CBS buurt or wijk names.

Municipal portals (ABF's "in Cijfers" / Swing) often export areas by name only,
and their names differ from CBS's: ``"Buurt Julianapark e.o."`` against CBS's
``"Julianapark en omgeving"``, ``"Zuilen-noord"`` against ``"Zuilen-Noord"``.

The model:

- :func:`normalise_name` makes a comparable key: case and accents folded,
  punctuation dropped, the level prefix (``"Buurt "``, ``"Wijk 03 "``) removed,
  and ``"e.o."`` / ``"en omgeving"`` written the same way. It is idempotent.
- :func:`match_names` accepts a name only when its key equals the key of
  exactly one CBS area. Anything else is at most a *suggestion*: the nearest
  CBS names by rapidfuzz's ``token_set_ratio`` on the keys, which the person has
  to confirm (``accepted``). Names whose key belongs to two or more CBS areas
  are ambiguous and never matched automatically.

The CBS names of the gemeente, year and level are passed in by the caller; this
module reads nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rapidfuzz import fuzz, process

__all__ = ["Candidate", "NameMatch", "match_names", "normalise_name"]

#: Level words that areas are often prefixed with ("Buurt Lombok", "Wijk 01 West").
_PREFIXES = ("buurt", "wijk")
#: Lowest similarity (0-100) shown as a suggestion.
SUGGESTION_CUTOFF = 60.0


def normalise_name(name: str) -> str:
    """A comparison key for an area name.

    Parameters
    ----------
    name
        The name as written in a file or by CBS.

    Returns
    -------
    str
        Lower case, without accents or punctuation, words separated by one space;
        ``"e.o."`` and ``"en omgeving"`` both become ``"eo"``, ``"&"`` becomes
        ``"en"``, and a leading ``"buurt"`` / ``"wijk"`` (with an optional number)
        is dropped when a name follows.

    Examples
    --------
    >>> normalise_name("Buurt Julianapark e.o.")
    'julianapark eo'
    >>> normalise_name("Julianapark en omgeving")
    'julianapark eo'
    >>> normalise_name("Wijk 03 Overvecht")
    'overvecht'
    >>> normalise_name("Máximapark")
    'maximapark'
    """
    text = unicodedata.normalize("NFKD", str(name).casefold().replace("&", " en "))
    text = "".join(c for c in text if not unicodedata.combining(c))
    tokens = re.findall(r"[a-z0-9]+", text)
    out: list[str] = []
    i = 0
    while i < len(tokens):
        pair = tuple(tokens[i : i + 2])
        if pair in (("e", "o"), ("en", "omgeving")):
            out.append("eo")
            i += 2
        else:
            out.append(tokens[i])
            i += 1
    while len(out) > 1 and out[0] in _PREFIXES:
        out = out[1:]
        if len(out) > 1 and out[0].isdigit():
            out = out[1:]
    return " ".join(out)


@dataclass(frozen=True)
class Candidate:
    """A CBS area proposed for a name that did not match exactly.

    Attributes
    ----------
    code
        CBS code (``BU…`` / ``WK…``).
    name
        CBS name as published.
    score
        Similarity of the normalised names, 0-100 (100 for an ambiguous exact key).
    """

    code: str
    name: str
    score: float


@dataclass(frozen=True)
class NameMatch:
    """Result of :func:`match_names`.

    Attributes
    ----------
    matched
        ``{name in the file: CBS code}`` for names that may be joined: exact or
        normalised matches, plus the accepted suggestions.
    how
        ``{name in the file: "exact" | "normalised" | "accepted"}``.
    suggestions
        ``{name: candidates, best first}`` for names that need the person's
        confirmation (near misses and ambiguous names).
    ambiguous
        Names whose key equals the key of two or more CBS areas (also in
        ``suggestions``).
    unmatched
        Names with neither a match nor a candidate above the cutoff.
    """

    matched: dict[str, str]
    how: dict[str, str]
    suggestions: dict[str, tuple[Candidate, ...]]
    ambiguous: tuple[str, ...]
    unmatched: tuple[str, ...]

    def counts(self) -> dict[str, int]:
        """Number of names per outcome: exact, normalised, accepted, suggested, unmatched."""
        out = {kind: 0 for kind in ("exact", "normalised", "accepted")}
        for kind in self.how.values():
            out[kind] += 1
        out["suggested"] = len(self.suggestions)
        out["unmatched"] = len(self.unmatched)
        return out


def match_names(
    names: Iterable[str],
    areas: Mapping[str, str],
    *,
    accepted: Mapping[str, str] | None = None,
    limit: int = 3,
    cutoff: float = SUGGESTION_CUTOFF,
) -> NameMatch:
    """Match names from a file to the CBS areas of one gemeente, year and level.

    Parameters
    ----------
    names
        Area names as written in the file (duplicates are matched once).
    areas
        ``{CBS code: CBS name}`` of the gemeente's areas at the file's level.
    accepted
        ``{name: CBS code}`` the person confirmed (a suggestion, or any area of
        ``areas`` picked by hand). Codes not in ``areas`` are ignored.
    limit
        Most candidates per suggestion.
    cutoff
        Lowest similarity (0-100) for a candidate.

    Returns
    -------
    NameMatch

    Examples
    --------
    >>> areas = {"BU03440231": "Julianapark en omgeving", "BU03440241": "Geuzenwijk"}
    >>> result = match_names(["Buurt Julianapark e.o.", "Geuzenwijk, De Driehoek"], areas)
    >>> result.matched
    {'Buurt Julianapark e.o.': 'BU03440231'}
    >>> [c.code for c in result.suggestions["Geuzenwijk, De Driehoek"]]
    ['BU03440241']
    """
    accepted = {k: v for k, v in (accepted or {}).items() if v in areas}
    by_key: dict[str, list[str]] = {}
    for code, cbs_name in areas.items():
        by_key.setdefault(normalise_name(cbs_name), []).append(code)
    keys = {code: normalise_name(cbs_name) for code, cbs_name in areas.items()}
    exact = {str(cbs_name).strip(): code for code, cbs_name in areas.items()}
    matched: dict[str, str] = {}
    how: dict[str, str] = {}
    suggestions: dict[str, tuple[Candidate, ...]] = {}
    ambiguous: list[str] = []
    unmatched: list[str] = []
    for name in dict.fromkeys(names):
        key = normalise_name(name)
        codes = by_key.get(key, [])
        if name in accepted:
            matched[name], how[name] = accepted[name], "accepted"
        elif len(codes) == 1:
            unique = exact.get(str(name).strip()) == codes[0]
            matched[name], how[name] = codes[0], "exact" if unique else "normalised"
        elif len(codes) > 1:
            ambiguous.append(name)
            suggestions[name] = tuple(Candidate(c, areas[c], 100.0) for c in sorted(codes))
        else:
            found = process.extract(
                key, keys, scorer=fuzz.token_set_ratio, limit=limit, score_cutoff=cutoff
            )
            if found:
                suggestions[name] = tuple(
                    Candidate(code, areas[code], round(float(score), 1)) for _, score, code in found
                )
            else:
                unmatched.append(name)
    return NameMatch(matched, how, suggestions, tuple(ambiguous), tuple(unmatched))
