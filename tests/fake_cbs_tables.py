"""Tables for the fake CBS server, built from real KWB 2024 files (``tests/_real.real_raw``).

:func:`kwb_2024_table` serves 85984NED as the nprz-app parquet files have it
(national, all gemeenten and wijken, the Rijnmond buurten, original OData keys);
:func:`kwb_table_from_woonikveilig` a thinner table for Dordrecht and Zwijndrecht
from another public source.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fake_cbs import FakeTable, make_properties, pad

__all__ = ["kwb_2024_table", "kwb_table_from_woonikveilig"]

_ODATA_KEY = re.compile(r"^(?:k_|[A-Z])[A-Za-z0-9_]*_\d+$")


def _odata_columns(columns) -> list[str]:
    return [c for c in columns if _ODATA_KEY.match(c)]


def _cell(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "item"):
        value = value.item()
        if isinstance(value, float) and value != value:
            return None
    return value


def kwb_2024_table(
    raw, *, table_id: str = "85984NED", renumber: int = 0, drop: tuple[str, ...] = ()
) -> FakeTable:
    """Build 85984NED from ``raw/nprz-app``: NL, all gemeenten and wijken there, the
    Rijnmond buurten; keys keep their OData names, codes are padded to 10 characters.

    ``renumber`` shifts every numeric suffix (CBS renumbers between versions);
    ``drop`` removes columns by prefix (a changed column set).
    """
    import pandas as pd

    folder = raw / "nprz-app"
    gm = pd.read_parquet(folder / "gemeente_2024_stats.parquet")
    gm = gm.sort_values("water").drop_duplicates("gemeentecode")  # NEE before JA
    wk = pd.read_parquet(folder / "wijk_2024_stats.parquet")
    bu = pd.read_parquet(folder / "buurt_2024_stats_rijnmond_excl_rotterdam.parquet")
    keys = _odata_columns(wk.columns)
    titles: dict[str, str] = {}
    titles.update(zip(gm["gemeentecode"], gm["gemeentenaam"], strict=True))
    titles.update(zip(wk["wijkcode"], wk["wijknaam"], strict=True))
    titles.update(zip(bu["buurtcode"], bu["buurtnaam"], strict=True))

    def rename(key: str) -> str | None:
        prefix, _, number = key.rpartition("_")
        if any(prefix == d for d in drop):
            return None
        return f"{prefix}_{int(number) + renumber}"

    mapping = {k: rename(k) for k in keys}
    rows: list[dict[str, Any]] = []
    national = {
        "WijkenEnBuurten": pad("NL00"),
        "Gemeentenaam_1": pad("Nederland", 40),
        "SoortRegio_2": pad("Land"),
        "Codering_3": pad("NL00"),
        "AantalInwoners_5": int(gm["AantalInwoners_5"].sum()),
    }
    rows.append(
        {"WijkenEnBuurten": pad("NL00")} | {mapping[k]: national.get(k) for k in keys if mapping[k]}
    )
    for frame in (gm, wk, bu):
        records = frame[keys].to_dict("records")
        for rec in records:
            code = str(rec["Codering_3"]).strip()
            row = {"WijkenEnBuurten": pad(code)}
            for key in keys:
                new = mapping[key]
                if new is None:
                    continue
                value = _cell(rec[key])
                if key == "Codering_3":
                    value = pad(code)
                row[new] = value
            rows.append(row)
    for i, row in enumerate(rows):
        row["ID"] = i
        rows[i] = {"ID": i, **{k: v for k, v in row.items() if k != "ID"}}
    out_keys = [mapping[k] for k in keys if mapping[k]]
    dimension = [
        {
            "Key": pad(code),
            "Title": title,
            "Description": None,
            "Municipality": "GM" + code[2:6] if code[:2] in ("BU", "WK") else None,
        }
        for code, title in titles.items()
    ]
    dimension.insert(
        0, {"Key": pad("NL00"), "Title": "Nederland", "Description": None, "Municipality": None}
    )
    info = {
        "ID": 0,
        "Title": "Kerncijfers wijken en buurten 2024",
        "Identifier": table_id,
        "Modified": "2025-03-27T02:00:00",
        "Period": "2024",
        "Language": "nl",
        "Catalog": "CBS",
    }
    return FakeTable(table_id, rows, make_properties(out_keys), info, dimension)


_WOONIKVEILIG_KEYS = {
    "inwoners": "AantalInwoners_5",
    "inwoners0tot15": "k_0Tot15Jaar_8",
    "inwoners65plus": "k_65JaarOfOuder_12",
    "huishoudens": "HuishoudensTotaal_29",
    "dichtheid": "Bevolkingsdichtheid_34",
    "inkomenPerInwoner": "GemiddeldInkomenPerInwoner_78",
    "oppervlakteLandHa": "OppervlakteLand_116",
}


def kwb_table_from_woonikveilig(raw, gemeenten: list[str]) -> FakeTable:
    """A thinner 85984NED for other gemeenten, from ``raw/woonikveilig/GMxxxx.json``.

    Those files carry KWB 2024 population, households, density, income and land
    area per gemeente, wijk and buurt, but no benefits, Wmo or youth care: the
    served table has only the columns it can fill (a smaller column set).
    """
    rows: list[dict[str, Any]] = []
    titles: dict[str, str] = {}
    for code in gemeenten:
        doc = json.loads((raw / "woonikveilig" / f"{code}.json").read_text(encoding="utf-8"))
        areas = [(code, doc["name"], "Gemeente", doc.get("demografie") or {})]
        areas += [(w["code"], w["name"], "Wijk", w.get("demografie") or {}) for w in doc["wijken"]]
        areas += [
            (b["code"], b["name"], "Buurt", b.get("demografie") or {}) for b in doc["buurten"]
        ]
        for area, name, kind, values in areas:
            titles[area] = name
            row = {
                "WijkenEnBuurten": pad(area),
                "Gemeentenaam_1": pad(doc["name"], 40),
                "SoortRegio_2": pad(kind),
                "Codering_3": pad(area),
            }
            row.update({key: values.get(src) for src, key in _WOONIKVEILIG_KEYS.items()})
            rows.append(row)
    rows = [{"ID": i, **row} for i, row in enumerate(rows)]
    keys = ["Gemeentenaam_1", "SoortRegio_2", "Codering_3", *_WOONIKVEILIG_KEYS.values()]
    dimension = [{"Key": pad(c), "Title": t, "Description": None} for c, t in titles.items()]
    info = {
        "ID": 0,
        "Title": "Kerncijfers wijken en buurten 2024",
        "Identifier": "85984NED",
        "Modified": "2025-03-27T02:00:00",
        "Period": "2024",
    }
    return FakeTable("85984NED", rows, make_properties(keys), info, dimension)
