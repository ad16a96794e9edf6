"""The map legend: plain HTML in a Leaflet control, every text escaped here."""

from __future__ import annotations

import html

import numpy as np

from geo_app.mapview.classes import Classes, format_value

__all__ = [
    "MAP_TEXTS_NL",
    "MAP_TEXTS_EN",
    "NO_DATA_LABEL_NL",
    "numeric_rows",
    "legend_title",
    "legend_html",
]

#: Fixed texts a person reads on the map, by key; ``build_map(texts=...)`` overrides them.
MAP_TEXTS_NL: dict[str, str] = {
    "no_data": "geen gegevens / onderdrukt",  # legend row of hatched areas
    "missing": "geen gegevens",  # tooltip of an area without a value
    "suppressed": "onderdrukt (kleine aantallen)",  # tooltip of a suppressed area
    "wijk_boundary": "Wijkgrens",  # legend row of the wijk outlines
    "basemap_unavailable": "Achtergrondkaart niet beschikbaar",  # note when tiles fail
    "legend_hide": "Legenda verbergen",  # fold button of the legend
    "legend_show": "Legenda tonen",
    "number_format": "nl",  # "nl": 1.234,5 – "en": 1,234.5 (tooltips and legend)
    # Units after the legend title, unless the title already names them:
    "unit_count": "aantal",
    "unit_per_1000": "per 1.000 inwoners",
    "unit_x1000_euro": "euro",
    "unit_ha": "hectare",
    "unit_per_km2": "inwoners per km²",
    "unit_index": "index",
}

#: The same texts in English, for ``build_map(texts=MAP_TEXTS_EN)`` in the English UI.
MAP_TEXTS_EN: dict[str, str] = {
    "no_data": "no data / suppressed",
    "missing": "no data",
    "suppressed": "suppressed (small numbers)",
    "wijk_boundary": "District boundary (wijk)",
    "basemap_unavailable": "Basemap unavailable",
    "legend_hide": "Hide legend",
    "legend_show": "Show legend",
    "number_format": "en",
    "unit_count": "number",
    "unit_per_1000": "per 1,000 inhabitants",
    "unit_x1000_euro": "euro",
    "unit_ha": "hectares",
    "unit_per_km2": "inhabitants per km²",
    "unit_index": "index",
}

#: Legend text for areas without a value.
NO_DATA_LABEL_NL = MAP_TEXTS_NL["no_data"]

_UNIT_CAPTION = {
    "percent": "%",
    "count": "aantal",
    "per_1000": "per 1.000 inwoners",
    "x1000_euro": "euro",
    "ha": "hectare",
    "per_km2": "inwoners per km²",
    "index": "index",
}


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
    captions = {**_UNIT_CAPTION, **{k[5:]: v for k, v in (texts or {}).items() if k[:5] == "unit_"}}
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
    texts: dict[str, str] = MAP_TEXTS_NL,
    selected_label: str | None = None,
) -> str:
    """The legend as HTML; every text is escaped here."""
    parts = []
    if title:
        parts.append(f'<div class="stapel-legend-title">{html.escape(title)}</div>')
    for (colour, label), count in zip(rows, counts, strict=True):
        parts.append(_row(label, colour=colour, count=int(count)))
    parts.append(_row(texts["no_data"], swatch="stapel-hatch", count=n_missing))
    if stacking_label:
        parts.append(_row(stacking_label, swatch="stapel-stack"))
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
