"""The trend of the stacking percentile within the gemeente: same scores as the map's
stacking function, comparability from the themes, no oplopend flag, real series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cbs_ingest.series_tables import (
    COUNT_INDICATORS,
    GEMEENTE_MERGERS,
    RATE_INDICATORS,
    SERIES_BREAKS,
)
from models.stacking import stacking_scores
from models.stacking_trend import STACKING_INDICATOR, STACKING_THEME, stacking_trend
from models.trends import TREND_COLUMNS, compute_trends

OPTIONS = dict(
    counts=COUNT_INDICATORS, rates=RATE_INDICATORS, breaks=SERIES_BREAKS, mergers=GEMEENTE_MERGERS
)


def _series(values: dict[tuple[str, str], list[float]], first: int, changes=None):
    """Long rows: ``{(code, theme): rates per year}``, with a count beside each rate."""
    records = []
    for (code, theme), rates in values.items():
        for offset, rate in enumerate(rates):
            year = first + offset
            period = f"{year}Q2" if theme == "bijstand" else f"{year}H1"
            base = {
                "code": code,
                "name": f"Wijk {code}",
                "level": "wijk",
                "gemeentecode": "GM" + code[2:6],
                "theme": theme,
                "period": period,
                "year": year,
                "period_kind": "quarter" if theme == "bijstand" else "halfyear",
                "boundary_change": (changes or {}).get((code, year), 1.0),
                "table_id": "x",
            }
            records.append(base | {"indicator": RATE_INDICATORS[theme], "value": rate})
            count = np.nan if np.isnan(rate) else 10.0 * rate
            records.append(base | {"indicator": COUNT_INDICATORS[theme], "value": count})
    return pd.DataFrame.from_records(records)


def _run(rows, first, last, **kw):
    trends = compute_trends(rows, first=first, last=last, **OPTIONS).trends
    return stacking_trend(rows, first=first, last=last, trends=trends, rates=RATE_INDICATORS, **kw)


def test_each_year_is_the_stacking_function_within_the_gemeente():
    rng = np.random.default_rng(4)
    first, last = 2019, 2023
    codes = [f"WK{g}{i:02d}" for g in ("0001", "0002", "0003") for i in range(7)]
    values = {
        (code, theme): list(rng.gamma(4, 10, last - first + 1))
        for code in codes
        for theme in ("wmo", "voorzieningen", "bijstand")
    }
    values[("WK000103", "bijstand")][2] = np.nan  # no score that year
    rows = _series(values, first)
    result = _run(rows, first, last)
    assert result.themes == ("wmo", "voorzieningen", "bijstand")
    got = result.rows.set_index(["code", "year"])["value"]
    for year in range(first, last + 1):
        wide = rows[(rows["year"] == year) & rows["indicator"].isin(RATE_INDICATORS.values())]
        wide = wide.pivot_table(index="code", columns="theme", values="value", dropna=False)
        wide = wide[list(result.themes)]
        groups = pd.Series(["GM" + c[2:6] for c in wide.index], index=wide.index)
        expected = stacking_scores(wide, groups=groups, min_indicators=3).table
        mine = got.xs(year, level="year").reindex(wide.index)
        np.testing.assert_allclose(mine, expected["stacking_percentile"], equal_nan=True)
        # mid-rank percentiles average 50 in every gemeente and year
        means = mine.groupby(groups).mean()
        np.testing.assert_allclose(means, 50.0)
    assert np.isnan(got[("WK000103", 2021)])


def test_a_wijk_climbing_in_its_gemeente_gets_a_rising_trend_and_never_a_flag():
    years = 6
    flat = [50.0] * years
    values = {}
    for i, level in enumerate((20.0, 40.0, 60.0, 80.0)):
        for theme in ("wmo", "voorzieningen"):
            values[(f"WK00010{i}", theme)] = [level + d for d in (0, 1, -1, 0, 1, 0)]
    values[("WK000109", "wmo")] = list(np.linspace(10, 95, years))
    values[("WK000109", "voorzieningen")] = list(np.linspace(10, 95, years))
    values[("WK000108", "wmo")] = flat
    values[("WK000108", "voorzieningen")] = flat
    result = _run(_series(values, 2019), 2019, 2024)
    trends = result.trends.set_index("code")
    assert list(result.trends.columns) == list(TREND_COLUMNS)
    assert set(result.trends["theme"]) == {STACKING_THEME}
    assert set(result.trends["indicator"]) == {STACKING_INDICATOR}
    climber = trends.loc["WK000109"]
    assert climber["comparable"] and climber["slope"] > 10 and climber["change"] > 60
    assert climber["first_value"] < 15 and climber["last_value"] > 85
    assert abs(trends.loc["WK000101", "slope"]) < 10
    assert result.trends["trend_flag"].isna().all()
    assert result.trends["change_rel"].isna().all()


def test_refusals_come_from_the_themes_that_enter():
    first, last = 2016, 2024
    n = last - first + 1
    values = {}
    for i in range(5):
        for theme in ("wmo", "voorzieningen"):
            values[(f"WK00010{i}", theme)] = list(np.full(n, 20.0 * (i + 1)))
    values[("WK000105", "bijstand")] = [np.nan] * 3 + [5.0] * 6  # bijstand from 2019 only
    for i in range(5):
        values[(f"WK00010{i}", "bijstand")] = [np.nan] * 3 + [4.0 + i] * 6
    # WK000101 redrawn in 2020 (flag 3 in the wmo table); WK000102 lacks voorzieningen early
    values[("WK000102", "voorzieningen")] = [np.nan, np.nan] + [40.0] * (n - 2)
    rows = _series(values, first, changes={("WK000101", 2020): 3.0})
    rows.loc[(rows["code"] == "WK000101") & (rows["theme"] != "wmo"), "boundary_change"] = 1.0
    result = _run(rows, first, last)
    # bijstand has no rate in 2016-2018: it does not enter the score of 2016-2024
    assert result.themes == ("wmo", "voorzieningen")
    trends = result.trends.set_index("code")
    wmo = compute_trends(rows, first=first, last=last, **OPTIONS).trends
    wmo_reason = wmo.set_index(["code", "theme"]).loc[("WK000101", "wmo"), "reason"].iloc[0]
    assert trends.loc["WK000101", "reason"] == wmo_reason
    assert "grenzen gewijzigd in 2020" in wmo_reason
    assert not trends.loc["WK000101", "comparable"] and np.isnan(trends.loc["WK000101", "slope"])
    assert "te weinig jaren" in trends.loc["WK000102", "reason"]
    assert trends.loc[["WK000100", "WK000103", "WK000104"], "comparable"].all()
    # the year of the redrawing shows in the percentile rows' boundary flag
    flags = result.rows.set_index(["code", "year"])["boundary_change"]
    assert flags[("WK000101", 2020)] == 3 and flags[("WK000100", 2020)] == 1
    # from 2019 on bijstand enters too
    assert _run(rows, 2019, last).themes == ("wmo", "voorzieningen", "bijstand")


def test_too_few_themes_is_no_result_with_a_note():
    values = {(f"WK00010{i}", "wmo"): [10.0 * (i + 1)] * 5 for i in range(4)}
    result = _run(_series(values, 2019), 2019, 2023)
    assert result.rows.empty and result.trends.empty and result.themes == ("wmo",)
    assert "at least 2 needed" in result.notes[0]
    with pytest.raises(ValueError, match="wrong way round"):
        _run(_series(values, 2019), 2023, 2019)


def test_demo_gemeente_tells_its_story():
    from cbs_ingest.demo_series import DEMO_STORY, demo_series

    rows = pd.concat([demo_series(t, 2019, 2024) for t in RATE_INDICATORS], ignore_index=True)
    result = _run(rows, 2019, 2024).trends.set_index("code")
    story = {w: s for w, (s, _) in DEMO_STORY.items()}
    changed = next(w for w, s in story.items() if s == "changed")
    falling = next(w for w, s in story.items() if s == "falling")
    assert "grenzen gewijzigd" in result.loc[changed, "reason"]
    assert result.loc[falling, "change"] < 0
    assert all(result.loc[w, "change"] > 0 for w, s in story.items() if s == "rising")


@pytest.mark.real_data
def test_real_series_of_dordrecht_aa_en_hunze_and_amsterdam(monkeypatch, real_data):
    from fake_cbs import FakeCbs, FakeCbsServer
    from fake_cbs_series import series_tables_from_dumps

    from cbs_ingest.series import fetch_series
    from cbs_ingest.series_tables import tables_for

    gemeenten = ["GM0505", "GM1680", "GM0363"]
    ids = [t.table_id for th in ("wmo", "voorzieningen") for t in tables_for(th, 2017, 2024)]
    with FakeCbsServer(FakeCbs(tables=series_tables_from_dumps(real_data, ids))) as server:
        monkeypatch.setenv("STAPELKAART_CBS_URL", server.url)
        rows = pd.concat(
            [fetch_series(th, 2017, 2024, gemeenten).rows for th in ("wmo", "voorzieningen")],
            ignore_index=True,
        )
    result = _run(rows, 2017, 2024)
    assert result.themes == ("wmo", "voorzieningen")
    values = result.rows["value"].dropna()
    assert len(values) > 100 and values.between(0, 100).all()
    trends = result.trends
    amsterdam = trends[trends["gemeentecode"] == "GM0363"]
    assert len(amsterdam) > 50 and not amsterdam["comparable"].any()
    assert amsterdam["reason"].notna().all()
    for code in ("GM0505", "GM1680"):
        stable = trends[(trends["gemeentecode"] == code) & trends["comparable"]]
        assert len(stable) >= 5 and stable["slope"].notna().all()
        assert stable["slope"].abs().max() < 25  # points per year: ranks move slowly
    # every refusal is one of the themes' own reasons for that wijk
    theme_trends = compute_trends(rows, first=2017, last=2024, **OPTIONS).trends
    reasons = theme_trends.groupby("code")["reason"].agg(lambda r: set(r.dropna()))
    refused = trends[~trends["comparable"] & ~trends["reason"].str.startswith("te weinig")]
    assert len(refused) and all(r.reason in reasons[r.code] for r in refused.itertuples())


def test_trends_cli_says_why_there_is_no_stacking_trend(monkeypatch, tmp_path, capsys):
    from fake_cbs import FakeCbs, FakeCbsServer
    from fake_cbs_series import tiny_series_tables

    from geo_app.cli import main
    from layers.export import read_csv_table

    monkeypatch.setenv("STAPELKAART_DATA_DIR", str(tmp_path / "data"))
    out = tmp_path / "t.csv"
    with FakeCbsServer(FakeCbs(tables=tiny_series_tables(), page_size=10_000)) as server:
        monkeypatch.setenv("STAPELKAART_CBS_URL", server.url)
        args = ["trends", "-m", "GM9998", "--from", "2020", "--to", "2021", "--theme", "wmo"]
        assert main([*args, "--out", str(out)]) == 0
    assert "No stacking-percentile trend: 1 theme(s)" in capsys.readouterr().out
    assert "stapeling" not in set(read_csv_table(out)["theme"])
    assert any(line.startswith("# stapeling: geen") for line in out.read_text().splitlines())
