"""Join KWB figures to Wijk- en buurtkaart geometry and report how well they match."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd

from cbs_ingest.columns import CANONICAL_COLUMNS, FRAME_KEYS, LEVELS

__all__ = ["LevelJoin", "JoinReport", "join_frames"]

_INDICATORS = [c.name for c in CANONICAL_COLUMNS]


@dataclass
class LevelJoin:
    """How the codes of one level matched.

    Attributes
    ----------
    level
        ``buurt``, ``wijk`` or ``gemeente``.
    matched
        Codes present in both the KWB data and the geometry.
    only_in_data
        Codes with figures but no (land) geometry; left out of the frame.
    only_in_geometry
        Codes with geometry but no figures; kept, with NaN indicators.
    water_only
        Codes whose geometry is water only; left out of the frame.
    """

    level: str
    matched: int = 0
    only_in_data: list[str] = field(default_factory=list)
    only_in_geometry: list[str] = field(default_factory=list)
    water_only: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Codes seen on either side (water-only areas excluded)."""
        return self.matched + len(self.only_in_data) + len(self.only_in_geometry)

    @property
    def match_rate(self) -> float:
        """Share of codes found on both sides; 1.0 when there is nothing to join."""
        return self.matched / self.total if self.total else 1.0


@dataclass
class JoinReport:
    """Join outcome per level (see :class:`LevelJoin`)."""

    levels: dict[str, LevelJoin]

    def __getitem__(self, level: str) -> LevelJoin:
        return self.levels[level]

    @property
    def complete(self) -> bool:
        """True when every level matched 100 %."""
        return all(j.match_rate == 1.0 for j in self.levels.values())

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-ready form (for the cache manifest)."""
        return {level: asdict(j) for level, j in self.levels.items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> JoinReport:
        """Inverse of :meth:`to_dict`."""
        return cls({level: LevelJoin(**values) for level, values in data.items()})

    def lines(self) -> list[str]:
        """One English summary line per level."""
        out = []
        for level in LEVELS:
            j = self.levels[level]
            line = (
                f"{level}: {j.matched}/{j.total} matched ({100 * j.match_rate:.1f}%)"
                f", only in data {len(j.only_in_data)}, only in geometry {len(j.only_in_geometry)}"
            )
            if j.water_only:
                line += f", water-only dropped {len(j.water_only)}"
            out.append(line)
        return out


def _pick(primary: pd.Series, fallback: pd.Series) -> pd.Series:
    primary = primary.astype(object)
    return primary.where(primary.notna(), fallback.astype(object))


def join_frames(
    rows: pd.DataFrame,
    geometry: dict[str, gpd.GeoDataFrame],
    water_only: dict[str, list[str]],
    *,
    year: int,
) -> tuple[dict[str, gpd.GeoDataFrame], JoinReport]:
    """Join canonical KWB rows to cleaned geometry, one area frame per level.

    Parameters
    ----------
    rows
        :attr:`cbs_ingest.kwb.KwbTable.rows`.
    geometry, water_only
        Output of :func:`cbs_ingest.geometry.clean_geometry`.
    year
        Reference year written into the ``year`` column.

    Returns
    -------
    tuple
        ``(frames, report)``; frames follow the area frame schema, sorted by code.
    """
    frames: dict[str, gpd.GeoDataFrame] = {}
    levels: dict[str, LevelJoin] = {}
    for level in LEVELS:
        water = set(water_only.get(level, []))
        data = rows[(rows["level"] == level) & ~rows["code"].isin(water)]
        geo = geometry[level]
        data_codes, geo_codes = set(data["code"]), set(geo["code"])
        levels[level] = LevelJoin(
            level=level,
            matched=len(data_codes & geo_codes),
            only_in_data=sorted(data_codes - geo_codes),
            only_in_geometry=sorted(geo_codes - data_codes),
            water_only=sorted(water),
        )
        merged = geo.merge(data, on="code", how="left", suffixes=("_geo", ""))
        out = pd.DataFrame(
            {
                "code": merged["code"].astype(object),
                "name": _pick(merged["name"], merged["name_geo"]),
                "level": level,
                "gemeentecode": _pick(merged["gemeentecode"], merged["gemeentecode_geo"]),
                "gemeentenaam": _pick(merged["gemeentenaam"], merged["gemeentenaam_geo"]),
                "wijkcode": _pick(merged["wijkcode"], merged["wijkcode_geo"]),
                "year": int(year),
            }
        )
        if level == "gemeente":
            out["wijkcode"] = None
        for name in _INDICATORS:
            out[name] = merged[name].astype(float)
        frame = gpd.GeoDataFrame(
            out[list(FRAME_KEYS) + _INDICATORS], geometry=merged.geometry.to_numpy(), crs=28992
        )
        frames[level] = frame.sort_values("code", kind="stable").reset_index(drop=True)
    return frames, JoinReport(levels)
