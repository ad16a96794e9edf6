"""Tiny in-code fixtures: square buurt grids in EPSG:28992 with the area frame schema."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from cbs_ingest.columns import CANONICAL_COLUMNS, FRAME_KEYS


def grid_frame(
    nx: int = 3, ny: int = 3, *, seed: int = 0, gemeenten: int = 1, size: float = 500.0
) -> gpd.GeoDataFrame:
    """``nx * ny`` square buurten with plausible, correlated values; codes BU0001xxxx."""
    rng = np.random.default_rng(seed)
    n = nx * ny
    ix, iy = np.divmod(np.arange(n), ny)
    geoms = shapely.box(ix * size, iy * size, ix * size + size, iy * size + size)
    latent = rng.normal(size=n)
    pop = np.round(rng.uniform(800, 4000, n), -1)
    shares = rng.dirichlet([3, 2, 5, 5, 4], n)
    ages = ["age_0_15", "age_15_25", "age_25_45", "age_45_65", "age_65_plus"]
    data = {c.name: np.full(n, np.nan) for c in CANONICAL_COLUMNS}
    data.update(
        population=pop,
        households=np.round(pop / 2.1),
        dwellings=np.round(pop / 2.0),
        **{a: np.round(pop * shares[:, i]) for i, a in enumerate(ages)},
        pct_corporation_owned=np.round(np.clip(30 + 20 * latent, 0, 100)),
        pct_rental=np.round(np.clip(40 + 20 * latent, 0, 100)),
        persons_bijstand=np.round(pop * np.clip(0.03 + 0.015 * latent, 0.001, None), -1),
        persons_ao=np.round(pop * 0.04, -1),
        persons_ww=np.round(pop * 0.01, -1),
        wmo_clients=np.round(pop * (0.04 + 0.17 * shares[:, 4]) * np.exp(0.2 * latent)),
        youth_care_count=np.round(pop * shares[:, 0] * 0.12 * np.exp(0.2 * latent)),
        youth_care_pct=np.round(np.clip(10 + 3 * latent, 0, 60), 1),
        pct_persons_poverty=np.round(np.clip(3 + 2 * latent, 0, None), 1),
        avg_income_per_inhabitant=np.round(35 - 5 * latent, 1),
    )
    gm = np.arange(n) * gemeenten // n
    keys = {
        "code": [f"BU{1 + g:04d}{i:04d}" for i, g in enumerate(gm)],
        "name": [f"Buurt {i}" for i in range(n)],
        "level": "buurt",
        "gemeentecode": [f"GM{1 + g:04d}" for g in gm],
        "gemeentenaam": [f"Gemeente {1 + g}" for g in gm],
        "wijkcode": [f"WK{1 + g:04d}{i // 4:02d}" for i, g in enumerate(gm)],
        "year": 2024,
    }
    frame = pd.DataFrame({**keys, **data})
    columns = list(FRAME_KEYS) + [c.name for c in CANONICAL_COLUMNS]
    return gpd.GeoDataFrame(frame[columns], geometry=geoms, crs=28992)
