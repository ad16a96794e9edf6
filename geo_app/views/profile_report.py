"""Area profiles: the table behind the profile tab and the printable one-page HTML.

Pure functions on the analysis table, so they are tested without a browser.
The HTML escapes every text that comes from data or settings.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from datetime import datetime

import pandas as pd

from geo_app.session.data import IndicatorInfo
from geo_app.session.i18n import hotspot_label, t

__all__ = [
    "UNITS_NL",
    "area_profile",
    "compare_table",
    "format_value",
    "percentile_ranks",
    "profile_html",
]

#: Dutch unit labels.
UNITS_NL: dict[str, str] = {
    "count": "aantal",
    "percent": "%",
    "per_1000": "per 1.000",
    "x1000_euro": "× € 1.000",
    "ha": "ha",
    "per_km2": "per km²",
}


def format_value(value: object, unit: str = "", *, lang: str = "nl") -> str:
    """Format a number the Dutch way (decimal comma); empty values become '–'.

    With ``lang="en"`` the English way: decimal point, thousands comma.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "–"
    try:
        number = float(value)  # type: ignore[arg-type]  # anything; refused ones are text
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(number):
        return "–"
    places = 0 if unit == "count" or number.is_integer() else 1
    number = round(number, places) + 0.0  # + 0.0 turns -0.0 into 0.0: no "-0,0"
    text = f"{number:,.{places}f}"
    if lang == "en":
        return text
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def percentile_ranks(table: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Percentile (0–100, 100 = highest value) of each area per indicator.

    Parameters
    ----------
    table
        Areas as rows.
    keys
        Indicator columns.

    Returns
    -------
    DataFrame
        Index-aligned to ``table``; NaN where the value is missing.
    """
    present = [k for k in keys if k in table.columns]
    return table[present].apply(lambda s: s.rank(pct=True, method="average") * 100).round(0)


def area_profile(
    table: pd.DataFrame,
    code: str,
    infos: Sequence[IndicatorInfo],
    *,
    gemeente: Mapping[str, object] | None = None,
    national: Mapping[str, object] | None = None,
    threshold: float = 80,
) -> pd.DataFrame:
    """All indicators of one area beside the gemeente and national reference.

    Parameters
    ----------
    table
        Analysis table of all areas at the area's level.
    code
        Area code.
    infos
        Indicators to show, in order.
    gemeente, national
        Reference values by indicator key (``None`` when not available).
    threshold
        Percentile at or above which an indicator counts as high.

    Returns
    -------
    DataFrame
        Columns ``key, indicator, unit, value, gemeente, national, percentile, high``.

    Raises
    ------
    KeyError
        When the code is not in the table.
    """
    matches = table.index[table["code"] == code]
    if len(matches) == 0:
        raise KeyError(code)
    row = table.loc[matches[0]]
    ranks = percentile_ranks(table, [i.key for i in infos])
    records = []
    for info in infos:
        pct = ranks.at[matches[0], info.key] if info.key in ranks.columns else float("nan")
        records.append(
            {
                "key": info.key,
                "indicator": info.label,
                "unit": UNITS_NL.get(info.unit, info.unit),
                "value": row.get(info.key),
                "gemeente": None if gemeente is None else gemeente.get(info.key),
                "national": None if national is None else national.get(info.key),
                "percentile": pct,
                "high": bool(pd.notna(pct) and pct >= threshold),
            }
        )
    return pd.DataFrame.from_records(records)


def _certainty(chosen: pd.DataFrame) -> dict[str, pd.Series]:
    """Interval, stability and reliability of the rank as Dutch text (empty before computed)."""
    if "stacking_stability" not in chosen.columns:
        return {}
    stability = chosen["stacking_stability"]
    done = stability.notna()
    lo = chosen["stacking_percentile_lo"].round().astype("Int64").astype(str)
    hi = chosen["stacking_percentile_hi"].round().astype("Int64").astype(str)
    return {
        "percentile_interval": (lo + " tot " + hi).where(done, None),
        "stability": ((100 * stability).round().astype("Int64").astype(str) + " %").where(
            done, None
        ),
        "reliability_nl": chosen["reliability_class"].map(lambda c: t(f"reliability_{c}", "nl")),
    }


def compare_table(
    table: pd.DataFrame, codes: Sequence[str], infos: Sequence[IndicatorInfo]
) -> pd.DataFrame:
    """Indicators (rows) of several areas (columns, named after the areas)."""
    chosen = table.set_index("code").loc[[c for c in codes if c in set(table["code"])]]
    keys = [i.key for i in infos if i.key in chosen.columns]
    chosen = chosen.assign(**_certainty(chosen))
    extra = [
        c
        for c in (
            "stacking_score",
            "stacking_percentile",
            "percentile_interval",
            "stability",
            "reliability_nl",
            "themes_high",
            "cluster_label",
            "hotspot",
        )
        if c in chosen.columns
    ]
    if "hotspot" in extra:
        chosen = chosen.assign(hotspot=chosen["hotspot"].map(hotspot_label))
    out = chosen[keys + extra].T
    labels = {i.key: i.label for i in infos}
    labels |= {
        "stacking_score": "Stapelingsscore",
        "stacking_percentile": "Percentiel stapeling",
        "percentile_interval": "Percentiel in 90 % van de redelijke varianten",
        "stability": "Stapelgebied in (aandeel redelijke varianten)",
        "reliability_nl": "Betrouwbaarheid",
        "themes_high": "Aantal hoge thema's",
        "cluster_label": "Clustertypologie",
        "hotspot": "Ruimtelijk patroon (hotspots)",
    }
    out.index = [labels.get(k, k) for k in out.index]
    out.columns = [f"{chosen.at[c, 'name']} ({c})" for c in chosen.index]
    return out


_CSS = """
body { font-family: Arial, Helvetica, sans-serif; color: #1a1a1a; margin: 2em; font-size: 11pt; }
h1 { color: #01689B; font-size: 18pt; margin-bottom: 0.1em; }
h2 { font-size: 12pt; color: #01689B; border-bottom: 1px solid #01689B; margin-top: 1.2em; }
.sub { color: #555; margin-top: 0; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: 3px 6px; text-align: left; }
td.n { text-align: right; }
tr.high td { font-weight: bold; }
.bar { background: #01689B; height: 8px; display: inline-block; }
.demo { border: 2px solid #d52b1e; padding: 6px; color: #d52b1e; }
.foot { color: #555; font-size: 9pt; margin-top: 1.5em; }
@media print {
  body { margin: 1cm; font-size: 9.5pt; }
  @page { size: A4 portrait; margin: 1cm; }
  h2 { page-break-after: avoid; }
  tr { page-break-inside: avoid; }
}
"""


def profile_html(
    *,
    area_name: str,
    area_code: str,
    gemeente_name: str,
    profile: pd.DataFrame,
    summary: Mapping[str, object],
    sources: Mapping[str, str],
    settings: Mapping[str, object],
    suppression: str,
    demo_notice: str | None = None,
    generated: datetime | None = None,
    series: pd.DataFrame | None = None,
    series_note: str = "",
) -> str:
    """A printable one-page area profile as a standalone HTML document.

    Parameters
    ----------
    area_name, area_code, gemeente_name
        Which area.
    profile
        Output of :func:`area_profile`.
    summary
        Stacking summary lines (label → value), e.g. stacking score, high themes.
    sources
        Source lines (label → text): CBS table, year, retrieval date.
    settings
        Analysis settings (label → value).
    suppression
        Sentence on the suppression of small numbers that was applied.
    demo_notice
        Shown prominently when the data is fictitious.
    generated
        Time stamp printed in the footer (default: now).
    series
        The area's series over the years: one row per indicator, the first column
        its name, then one column per year, then any text columns (the trend).
    series_note
        Sentence under the series table (rule, sources, comparability).

    Returns
    -------
    str
        HTML with print CSS; every data text is escaped.
    """
    esc = html.escape
    when = (generated or datetime.now()).strftime("%d-%m-%Y %H:%M")
    has_national = profile["national"].notna().any()
    rows = []
    for rec in profile.itertuples(index=False):
        pct = "–" if pd.isna(rec.percentile) else f"{rec.percentile:.0f}"
        width = 0 if pd.isna(rec.percentile) else int(rec.percentile)
        cells = [
            f"<td>{esc(str(rec.indicator))}</td>",
            f"<td>{esc(str(rec.unit))}</td>",
            f'<td class="n">{esc(format_value(rec.value))}</td>',
            f'<td class="n">{esc(format_value(rec.gemeente))}</td>',
        ]
        if has_national:
            cells.append(f'<td class="n">{esc(format_value(rec.national))}</td>')
        cells.append(
            f'<td class="n">{pct}</td><td><span class="bar" style="width:{width}px"></span></td>'
        )
        rows.append(f'<tr class="{"high" if rec.high else ""}">{"".join(cells)}</tr>')
    national_head = "<th>Nederland</th>" if has_national else ""
    national_note = (
        ""
        if has_national
        else "<p>Een landelijke referentie is voor deze gegevens niet beschikbaar.</p>"
    )

    def _dl(items: Mapping[str, object]) -> str:
        return "".join(
            f"<tr><th>{esc(str(k))}</th><td>{esc(str(v))}</td></tr>" for k, v in items.items()
        )

    demo = f'<p class="demo">{esc(demo_notice)}</p>' if demo_notice else ""
    over_years = _series_html(series, series_note)
    return f"""<!DOCTYPE html>
<html lang="nl"><head><meta charset="utf-8">
<title>Gebiedsprofiel {esc(area_name)}</title>
<style>{_CSS}</style></head>
<body>
<h1>Gebiedsprofiel {esc(area_name)}</h1>
<p class="sub">{esc(area_code)} · {esc(gemeente_name)}</p>
{demo}
<h2>Stapeling</h2>
<table>{_dl(summary)}</table>
<h2>Indicatoren</h2>
<table><thead><tr><th>Indicator</th><th>Eenheid</th><th>Gebied</th><th>Gemeente</th>{national_head}
<th>Percentiel</th><th></th></tr></thead>
<tbody>{"".join(rows)}</tbody></table>
{national_note}
<p>Vetgedrukt: op of boven de drempel voor 'hoog'.
Percentiel binnen de vergelijkingsgroep (100 = hoogste).</p>
{over_years}<h2>Bronnen en instellingen</h2>
<table>{_dl(sources)}{_dl(settings)}</table>
<p>{esc(suppression)}</p>
<p class="foot">Stapelkaart · gemaakt op {esc(when)} · Bron: CBS, Kadaster (CC BY 4.0).
Een hoge score is een signaal om het gesprek te beginnen,
geen oordeel over een buurt of haar bewoners.</p>
</body></html>
"""


def _series_html(series: pd.DataFrame | None, note: str) -> str:
    """The series over the years as a small table (empty without series)."""
    if series is None or series.empty:
        return ""
    esc = html.escape
    head = "".join(f"<th>{esc(str(c))}</th>" for c in series.columns)
    rows = []
    for rec in series.itertuples(index=False, name=None):
        cells = [
            f'<td class="n">{esc(format_value(v))}</td>'
            if isinstance(v, (int, float)) and not isinstance(v, bool)
            else f"<td>{esc(format_value(v))}</td>"
            for v in rec
        ]
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f"<h2>Ontwikkeling over de jaren</h2>\n<table><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>\n<p>{esc(note)}</p>\n"
    )
