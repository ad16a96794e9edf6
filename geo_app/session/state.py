"""The app's settings, and their round trip through the URL query parameters.

Every setting a person can change (gemeente, year, map layer, class scheme,
analysis thresholds, selected areas, language, …) has a spec here: a default,
and either a fixed set of choices or a range. Choices that depend on the data
(gemeenten, years, layers, area codes, profiles) are passed in by the app.

:func:`parse_params` turns query parameters into settings and names the ones it
had to replace by their default; :func:`to_params` writes settings back. Both
are pure, so a shared link reopens identically and a bad link never crashes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "default",
    "SPECS",
    "Spec",
    "coerce",
    "is_valid",
    "parse_params",
    "to_params",
    "TAB_IDS",
]

#: Stable ids of the tabs, in order (labels depend on the language).
TAB_IDS: tuple[str, ...] = ("kaart", "profiel", "vergelijken", "tabel", "data", "over")

#: CBS area codes: GM + 4 digits; wijk and buurt codes add 2 or 4 more characters,
#: digits or (Amsterdam, e.g. WK0363AA, BU0363AA01) capital letters.
_CODE = re.compile(r"^(GM[0-9]{4}|WK[0-9]{4}[0-9A-Z]{2}|BU[0-9]{4}[0-9A-Z]{4})$")
_MAX_COMPARE = 8


@dataclass(frozen=True)
class Spec:
    """How one setting is read from and written to the URL.

    Attributes
    ----------
    default
        Value when the URL does not set it (``None``: the first of the
        choices the app passes in).
    kind
        ``"choice"``, ``"int"``, ``"float"``, ``"bool"``, ``"code"`` or ``"codes"``.
    choices
        Fixed choices, or ``None`` when the app passes them in.
    low, high
        Inclusive range of an ``int`` setting.
    after
        Name of a setting this one must be greater than (``tot`` after ``van``); a
        URL where it is not has both replaced by their defaults.
    """

    default: Any
    kind: str = "choice"
    choices: tuple[Any, ...] | None = None
    low: int | None = None
    high: int | None = None
    after: str | None = None


SPECS: dict[str, Spec] = {
    "lang": Spec("nl", choices=("nl", "en")),
    "gm": Spec(None),
    "year": Spec(None, kind="int"),
    "level": Spec("buurt", choices=("buurt", "wijk")),
    "layer": Spec(None),
    "scheme": Spec("quantiles", choices=("quantiles", "natural_breaks", "equal_interval")),
    "classes": Spec(5, kind="int", low=3, high=9),
    "wijken": Spec(True, kind="bool"),
    "basemap": Spec("pdok_grijs", choices=("pdok_grijs", "osm", "none")),
    "profile": Spec(None),
    "threshold": Spec(80, kind="int", low=50, high=95),
    "scope": Spec("gemeente", choices=("gemeente", "selection", "national")),
    "set": Spec((), kind="codes"),
    "method": Spec(None),
    "k": Spec(0, kind="int", choices=(0, 2, 3, 4, 5, 6, 7, 8)),
    "alpha": Spec(0.05, kind="float", choices=(0.01, 0.05, 0.1)),
    "area": Spec(None, kind="code"),
    "cmp": Spec((), kind="codes"),
    "tab": Spec("kaart", choices=TAB_IDS),
    # Trends over the years: the period range (years with series) and the theme of the
    # map layer "verandering sinds <van>".
    "van": Spec(None, kind="int"),
    "tot": Spec(None, kind="int", after="van"),
    "thema": Spec(None),
}


def _choices(name: str, choices: Mapping[str, Sequence[Any]] | None) -> tuple[Any, ...] | None:
    if choices is not None and name in choices:
        return tuple(choices[name])
    return SPECS[name].choices


def default(name: str, choices: Mapping[str, Sequence[Any]] | None = None) -> Any:
    """Default of a setting: the spec's default, else the first available choice."""
    spec = SPECS[name]
    if spec.kind == "code":
        return None
    options = _choices(name, choices)
    if spec.default is not None and (
        options is None or spec.kind == "codes" or spec.default in options
    ):
        return spec.default
    return options[0] if options else None


def coerce(name: str, raw: str, choices: Mapping[str, Sequence[Any]] | None = None) -> Any:
    """Turn one query-parameter string into a setting value.

    Parameters
    ----------
    name
        Name of the setting (a key of :data:`SPECS`).
    raw
        The query parameter as text.
    choices
        Data-dependent choices per setting name, overriding the spec's.

    Returns
    -------
    object
        The value.

    Raises
    ------
    ValueError
        When the text is not a valid value of the setting.
    """
    spec = SPECS[name]
    raw = str(raw).strip()
    value: Any
    if spec.kind == "int":
        value = int(raw)
        if spec.low is not None and not spec.low <= value <= spec.high:
            raise ValueError(f"{name}={raw} out of range")
    elif spec.kind == "float":
        value = float(raw)
    elif spec.kind == "bool":
        if raw.lower() not in {"0", "1", "true", "false"}:
            raise ValueError(f"{name}={raw} is not a boolean")
        value = raw.lower() in {"1", "true"}
    elif spec.kind == "code":
        value = raw.upper()
        if not _CODE.match(value):
            raise ValueError(f"{name}={raw} is not an area code")
    elif spec.kind == "codes":
        parts = [p.strip().upper() for p in raw.split(",") if p.strip()]
        if len(parts) > _MAX_COMPARE or not all(_CODE.match(p) for p in parts):
            raise ValueError(f"{name}={raw} is not a list of area codes")
        value = tuple(dict.fromkeys(parts))
    else:
        value = raw
    if not is_valid(name, value, choices):
        raise ValueError(f"{name}={raw} is not one of the choices")
    return value


def is_valid(name: str, value: Any, choices: Mapping[str, Sequence[Any]] | None = None) -> bool:
    """Whether ``value`` is currently a valid value of setting ``name``."""
    spec = SPECS[name]
    options = _choices(name, choices)
    if spec.kind == "codes":
        return isinstance(value, tuple) and (options is None or all(v in options for v in value))
    if spec.kind == "code" and value is None:
        return True
    if (
        spec.kind == "int"
        and spec.low is not None
        and spec.high is not None
        and (not isinstance(value, int) or not spec.low <= value <= spec.high)
    ):
        return False
    if spec.kind == "float":
        return options is None or any(abs(float(value) - o) < 1e-9 for o in options)
    return options is None or value in options


def parse_params(
    params: Mapping[str, str | Sequence[str]],
    *,
    names: Iterable[str],
    choices: Mapping[str, Sequence[Any]] | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """Read settings from URL query parameters.

    Parameters
    ----------
    params
        Query parameters, ``name → text`` (a list takes its last item).
    names
        The settings to read.
    choices
        Data-dependent choices per setting name.

    Returns
    -------
    values : dict
        A valid value for every name: from the URL when it is valid there,
        otherwise the default.
    rejected : list of str
        Names whose URL value was invalid and replaced by the default.
    """
    values: dict[str, Any] = {}
    rejected: list[str] = []
    for name in names:
        raw = params.get(name)
        if isinstance(raw, list | tuple):
            raw = raw[-1] if raw else None
        if raw is None or raw == "":
            values[name] = default(name, choices)
            continue
        try:
            values[name] = coerce(name, str(raw), choices)
        except (ValueError, TypeError):
            values[name] = default(name, choices)
            rejected.append(name)
    for name, value in list(values.items()):
        before = SPECS[name].after
        if before is None or before not in values:
            continue
        first = values[before]
        if value is not None and first is not None and not value > first:
            # e.g. van=2024&tot=2019: the range the wrong way round, or empty
            for wrong in (before, name):
                values[wrong] = default(wrong, choices)
                if wrong not in rejected:
                    rejected.append(wrong)
    return values, rejected


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, tuple):
        return ",".join(value)
    return str(value)


def to_params(
    values: Mapping[str, Any],
    *,
    choices: Mapping[str, Sequence[Any]] | None = None,
    always: Iterable[str] = ("gm", "year"),
) -> dict[str, str]:
    """Write settings as query parameters, leaving out those at their default.

    Parameters
    ----------
    values
        Setting values by name (unknown names are ignored).
    choices
        Data-dependent choices, used to find the defaults.
    always
        Names written even when at their default, so a link names its data.

    Returns
    -------
    dict
        ``name → text``, in the order of :data:`SPECS`.
    """
    keep = set(always)
    out: dict[str, str] = {}
    for name in SPECS:
        if name not in values or values[name] is None or values[name] == ():
            continue
        if name in keep or values[name] != default(name, choices):
            out[name] = _text(values[name])
    return out
