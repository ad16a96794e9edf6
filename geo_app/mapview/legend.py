"""The map legend: plain HTML in a Leaflet control, every text escaped here."""

from __future__ import annotations

import html

import numpy as np

from geo_app.mapview.classes import Classes, format_value
from geo_app.session.i18n import t

__all__ = [
    "MAP_TEXT_KEYS",
    "map_texts",
    "numeric_rows",
    "legend_title",
    "legend_html",
]

#: Ids of the fixed texts a person reads on the map (``map_<id>`` in
#: :data:`geo_app.session.i18n.TEXTS`); ``build_map(texts=...)`` overrides them.
MAP_TEXT_KEYS: tuple[str, ...] = (
    "no_data",
    "missing",
    "suppressed",
    "wijk_boundary",
    "basemap_unavailable",
    "legend_hide",
    "legend_show",
    "number_format",
    "unit_percent",
    "unit_count",
    "unit_per_1000",
    "unit_x1000_euro",
    "unit_ha",
    "unit_per_km2",
    "unit_index",
    "change_below",
    "change_range",
    "change_flat",
    "change_above",
)


def map_texts(lang: str = "nl") -> dict[str, str]:
    """The map's fixed texts in ``lang``, by id (for ``build_map(texts=...)``)."""
    return {key: t(f"map_{key}", lang) for key in MAP_TEXT_KEYS}


def numeric_rows(
    classes: Classes, colours: list[str], unit: str | None, places: int, *, english: bool = False
) -> list[tuple[str, str]]:
    """``(colour, label)`` per class, e.g. ``("#440154", "12,5% – 20,0%")``."""
    rows = []
    lower = classes.lower
    for i, upper in enumerate(classes.bins):
        if classes.exact:
            label = format_value(upper, unit, decimals=places, english=english)
        else:
            low = lower if i == 0 else classes.bins[i - 1]
            label = " – ".join(
                format_value(v, unit, decimals=places, english=english) for v in (low, upper)
            )
        rows.append((colours[i], label))
    return rows


def legend_title(title: str, unit: str | None, texts: dict[str, str] | None = None) -> str:
    """The title with its unit in brackets, unless the title already names it."""
    words = texts if texts is not None else map_texts()
    captions = {k[5:]: v for k, v in words.items() if k[:5] == "unit_"}
    caption = captions.get(unit or "", unit or "")
    if caption and caption not in title:
        return f"{title} ({caption})" if title else caption
    return title


def _row(
    text: str,
    *,
    swatch: str = "",
    colour: str | None = None,
    count: int | None = None,
    row_class: str = "",
) -> str:
    """One legend row; ``text`` is escaped here."""
    style = f' style="background:{html.escape(colour)}"' if colour else ""
    counted = f' <span class="stapel-count">({count})</span>' if count is not None else ""
    classes = f"stapel-swatch {swatch}".strip()
    rows = f"stapel-row {row_class}".strip()
    return (
        f'<div class="{rows}"><span class="{classes}"{style}></span>'
        f"<span>{html.escape(text)}{counted}</span></div>"
    )


def legend_html(
    *,
    title: str,
    rows: list[tuple[str, str]],
    counts: np.ndarray,
    n_missing: int,
    stacking_label: str | None,
    wijken: bool,
    note: str | None,
    texts: dict[str, str] | None = None,
    selected_label: str | None = None,
    doubtful_label: str | None = None,
) -> str:
    """The legend as HTML; every text is escaped here."""
    texts = texts if texts is not None else map_texts()
    parts = []
    if title:
        parts.append(f'<div class="stapel-legend-title">{html.escape(title)}</div>')
    for (colour, label), count in zip(rows, counts, strict=True):
        parts.append(_row(label, colour=colour, count=int(count)))
    parts.append(_row(texts["no_data"], swatch="stapel-hatch", count=n_missing))
    if stacking_label and doubtful_label:
        # Both outlines on one row: a taller legend would push the map off its areas.
        parts.append(
            '<div class="stapel-row"><span class="stapel-swatch stapel-stack"></span>'
            f"<span>{html.escape(stacking_label)}</span>"
            '<span class="stapel-swatch stapel-doubt stapel-second"></span>'
            f"<span>{html.escape(doubtful_label)}</span></div>"
        )
    elif stacking_label:
        parts.append(_row(stacking_label, swatch="stapel-stack"))
    elif doubtful_label:
        parts.append(_row(doubtful_label, swatch="stapel-doubt"))
    if selected_label:
        # Shown by the map's script only while an area is outlined.
        parts.append(
            _row(selected_label, swatch="stapel-selected", row_class="stapel-selected-row")
        )
    if wijken:
        parts.append(_row(texts["wijk_boundary"], swatch="stapel-wijk"))
    if note:
        parts.append(f'<div class="stapel-note">{html.escape(note)}</div>')
    return "".join(parts)
