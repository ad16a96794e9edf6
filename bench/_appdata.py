"""Data directories for the app benchmarks (not a benchmark: the runner skips ``_`` modules).

* :func:`cbs_cache`: a real gemeente put into a fresh ``STAPELKAART_DATA_DIR``
  through the real pipeline (``cbs_ingest.load`` with the cbsodata client
  against the test suite's fake CBS server, which serves KWB 2024 from
  ``../shared/data``, and a CBS-layout GeoPackage built from the same files).
  Capelle aan den IJssel (GM0502, 79 buurten) is the largest gemeente with a
  complete buurt table in the shared data.
* :func:`synthetic_cache`: Amsterdam (GM0363, 516 buurten) written straight into
  the cache: its approximate buurt polygons from ``raw/woonikveilig-geo-buurt``
  with values derived from its real wijken (``bench/_areas.py``), the real
  wijken, and the gemeente as their union. For a large gemeente only.

Both return the environment the app needs to find the entry; the CBS address in
it is a closed loopback port, so the app never reaches a network.
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd

from bench import _areas

__all__ = ["cbs_cache", "synthetic_cache", "CLOSED_URL"]

CLOSED_URL = "http://127.0.0.1:9"


def _with_env(values: dict[str, str]):
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)

    def restore() -> None:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    return restore


def cbs_cache(data_dir: Path, code: str = "GM0502") -> dict[str, str]:
    """Ingest gemeente ``code`` (2024) into ``data_dir``; return the app's environment."""
    from fake_cbs import FakeCbs, FakeCbsServer
    from fake_cbs_tables import kwb_2024_table
    from fake_pdok import cbs_layers, write_geopackage

    import cbs_ingest

    work = Path(tempfile.mkdtemp(prefix="stapelkaart-bench-gpkg-"))
    gpkg = write_geopackage(cbs_layers(_areas.RAW), work / "wijkenbuurten_2024_v1.gpkg")
    state = FakeCbs(tables={"85984NED": kwb_2024_table(_areas.RAW)}, page_size=10_000)
    with FakeCbsServer(state) as cbs:
        env = {"STAPELKAART_DATA_DIR": str(data_dir), "STAPELKAART_CBS_URL": cbs.url}
        restore = _with_env({**env, "STAPELKAART_PDOK_URL": CLOSED_URL})
        try:
            result = cbs_ingest.load(2024, [code], geometry_file=gpkg)
        finally:
            restore()
    if not len(result.frames["buurt"]):
        raise RuntimeError(f"{code}: no buurten in the shared data")
    # The app finds the entry under the same CBS address; nothing listens there now.
    return {**env, "STAPELKAART_PDOK_URL": CLOSED_URL}


def synthetic_cache(data_dir: Path, code: str = "GM0363") -> dict[str, str]:
    """Write gemeente ``code`` (georeferenced buurten, derived values) into ``data_dir``."""
    from cbs_ingest import cache
    from cbs_ingest.columns import CANONICAL_COLUMNS, FRAME_KEYS, LEVELS, table_id
    from cbs_ingest.join import JoinReport, LevelJoin

    env = {
        "STAPELKAART_DATA_DIR": str(data_dir),
        "STAPELKAART_CBS_URL": CLOSED_URL,
        "STAPELKAART_PDOK_URL": CLOSED_URL,
    }
    wijken_all = _areas.national_wijken()
    buurten = _areas.georef_buurten(wijken_all)
    buurten = buurten[buurten["gemeentecode"] == code].reset_index(drop=True)
    wijken = wijken_all[wijken_all["gemeentecode"] == code].reset_index(drop=True)
    name_of = wijken["gemeentenaam"].iloc[0]
    buurten["name"] = [f"Buurt {c[-4:]}" for c in buurten["code"]]
    counts = [c.name for c in CANONICAL_COLUMNS if c.unit in ("count", "ha")]
    gemeente = pd.DataFrame({c.name: [float("nan")] for c in CANONICAL_COLUMNS})
    gemeente[counts] = wijken[counts].sum(min_count=1).to_numpy()[None, :]
    keys = {
        "code": code,
        "name": name_of,
        "level": "gemeente",
        "gemeentecode": code,
        "gemeentenaam": name_of,
        "wijkcode": None,
        "year": 2024,
    }
    gemeente = gpd.GeoDataFrame(
        pd.concat([pd.DataFrame([keys]), gemeente], axis=1)[
            list(FRAME_KEYS) + [c.name for c in CANONICAL_COLUMNS]
        ],
        geometry=[wijken.geometry.union_all()],
        crs=28992,
    )
    frames = {"buurt": buurten, "wijk": wijken, "gemeente": gemeente}
    restore = _with_env(env)
    try:
        request = {
            "year": 2024,
            "table_id": table_id(2024),
            "municipalities": [code],
            "cbs": CLOSED_URL,
            "version": cache.CACHE_VERSION,
        }
        name = cache.entry_name(request)
        request["geometry"] = {"synthetic": "bench/_appdata.py"}
        now = datetime.now(UTC).isoformat()
        report = JoinReport({lv: LevelJoin(lv, matched=len(frames[lv])) for lv in LEVELS})
        manifest = {
            "request": request,
            "retrieved_at": now,
            "provenance": {
                "source": "benchmark: georeferenced buurten with values derived from wijken",
                "table_id": table_id(2024),
                "year": 2024,
                "retrieved_at": now,
                "gemeenten": {code: name_of},
                "columns": {},
                "missing": {},
            },
            "report": report.to_dict(),
            "rows": {lv: len(frames[lv]) for lv in LEVELS},
            "notes": [],
        }
        cache.write_entry(name, frames, manifest)
        import cbs_ingest

        loaded = cbs_ingest.load(2024, [code])  # the app's own lookup must find it
        if not loaded.from_cache or len(loaded.frames["buurt"]) != len(buurten):
            raise RuntimeError("the synthetic cache entry was not found")
    finally:
        restore()
    return env
