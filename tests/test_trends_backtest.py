"""The backtest of the oplopend flag on the real series (prints its figures with ``-s``).

Run: ``pytest -m shared_data tests/test_trends_backtest.py -s``. The figures are in
docs/analysis.md; this test recomputes them and guards the default: the flag stays off
unless it beats both baselines.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cbs_ingest.series import fetch_series
from cbs_ingest.series_tables import (
    COUNT_INDICATORS,
    GEMEENTE_MERGERS,
    RATE_INDICATORS,
    SERIES_BREAKS,
    tables_for,
)
from models.backtest import backtest, high_in_gemeente, summarise
from models.trends import SIGNAL_ON_BY_DEFAULT

RANGES = {"wmo": (2016, 2024), "voorzieningen": (2016, 2024), "bijstand": (2019, 2024)}


def test_high_is_the_top_fifth_within_each_gemeente():
    values = pd.DataFrame(
        {
            "code": [f"WK{i:06d}" for i in range(13)],
            "gemeentecode": ["GM0001"] * 10 + ["GM0002"] * 3,
            "year": 2020,
            "value": [*range(10), 5.0, 6.0, 7.0],
        }
    )
    high = high_in_gemeente(values, min_areas=5)
    assert high[:10].tolist() == [False] * 8 + [True] * 2
    assert high[10:].isna().all()  # a gemeente of three wijken has no top fifth


def test_backtest_on_stable_levels_flags_nothing_and_persistence_wins():
    rng = np.random.default_rng(3)
    years = range(2016, 2025)
    records = []
    for g in range(20):
        for w in range(10):
            code = f"WK{g:04d}{w:02d}"
            level = rng.uniform(50, 300)
            for y in years:
                count = float(rng.poisson(level))
                base = {
                    "code": code,
                    "name": code,
                    "level": "wijk",
                    "gemeentecode": f"GM{g:04d}",
                    "theme": "wmo",
                    "year": y,
                    "period": f"{y}H1",
                    "period_kind": "halfyear",
                    "boundary_change": 1.0,
                    "table_id": "x",
                }
                records.append(base | {"indicator": "wmo_clients", "value": count})
                records.append(base | {"indicator": "wmo_clients_per_1000", "value": count / 10})
    rows = pd.DataFrame(records)
    table = backtest(
        rows,
        as_of=[2019, 2020],
        counts=COUNT_INDICATORS,
        rates=RATE_INDICATORS,
        rule=None,
        draws=50,
    )
    assert set(table["method"]) >= {"oplopend", "already_high_now", "random"}
    persistence = table[(table["method"] == "already_high_now")]
    assert (persistence["precision"] > 0.5).all()  # stable levels: high stays high
    assert (table["n_high"] <= table["n_areas"]).all()
    flagged = table[(table["method"] == "oplopend") & (table["target"] == "high")]
    assert flagged["n_flagged"].sum() <= 0.02 * flagged["n_areas"].sum()  # flat: no rise


@pytest.mark.shared_data
def test_backtest_on_the_real_series(shared_data, monkeypatch, capsys):
    from fake_cbs import FakeCbs, FakeCbsServer
    from fake_cbs_series import series_tables_from_dumps

    ids = [t.table_id for theme, (a, b) in RANGES.items() for t in tables_for(theme, a, b)]
    with FakeCbsServer(FakeCbs(tables=series_tables_from_dumps(shared_data, ids))) as server:
        server.state.page_size = 10_000
        monkeypatch.setenv("STAPELKAART_CBS_URL", server.url)
        rows = pd.concat(
            [fetch_series(theme, a, b, None).rows for theme, (a, b) in RANGES.items()],
            ignore_index=True,
        )
    table = backtest(
        rows,
        as_of=[2019, 2020, 2021, 2022],
        counts=COUNT_INDICATORS,
        rates=RATE_INDICATORS,
        mergers=GEMEENTE_MERGERS,
        breaks=SERIES_BREAKS,
        seed=0,
    )
    pooled = summarise(table)
    with capsys.disabled(), pd.option_context("display.width", 160, "display.precision", 3):
        print("\n", table.to_string(index=False), "\n\n", pooled.to_string(index=False))
    assert pooled["n_areas"].min() > 2_000  # a real number of scored wijk-years
    assert pooled["precision"].dropna().between(0, 1).all()
    drawn = table[(table["method"] == "random") & (table["n_flagged"] >= 20)]
    base_rate = drawn["n_high"] / drawn["n_areas"]
    assert ((drawn["precision"] - base_rate).abs() < 0.06).all()  # random is the base rate
    scored = pooled.set_index(["target", "horizon", "method"])
    beats = all(
        scored.loc[(target, h, "oplopend"), "precision"]
        > scored.loc[(target, h, other), "precision"]
        for target, others in (
            ("high", ("random", "already_high_now")),
            ("newly_high", ("random",)),
        )
        for h in (2, 3)
        for other in others
    )
    assert beats or not SIGNAL_ON_BY_DEFAULT  # no better than the baselines: stays off
