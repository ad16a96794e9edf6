"""The demo gemeente's multi-year series: real format, rounding, seed, and the story it tells."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from cbs_ingest.demo import DEMO_GEMEENTE_CODE, make_demo
from cbs_ingest.demo_boundaries import DEMO_RECEIVING_WIJK, demo_boundaries
from cbs_ingest.demo_series import DEMO_CHANGE_YEAR, DEMO_STORY, demo_series
from cbs_ingest.errors import InputError
from cbs_ingest.series import SERIES_COLUMNS, fetch_series
from cbs_ingest.series_load import load_series
from cbs_ingest.series_tables import (
    COUNT_INDICATORS,
    GEMEENTE_MERGERS,
    RATE_INDICATORS,
    RATE_SCALES,
    SERIES_BREAKS,
    THEMES,
    series_mergers,
)
from models.harmonise_series import harmonise_series
from models.trends import compute_trends

OFFLINE = "http://127.0.0.1:9"
#: The first year each theme can be compared over (youth care changed definition in 2017).
FULL = {"wmo": 2016, "jeugdzorg": 2017, "voorzieningen": 2016, "bijstand": 2019}
RISING = sorted(w for w, (story, _) in DEMO_STORY.items() if story == "rising")
CHANGED = next(w for w, (story, _) in DEMO_STORY.items() if story == "changed")
#: Both wijken the 2021 change redrew: Dijkzicht and the neighbour that got its buurt.
REDRAWN = [CHANGED, DEMO_RECEIVING_WIJK]


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No CBS (a closed port) and an empty data directory that must stay untouched."""
    monkeypatch.setenv("STAPELKAART_CBS_URL", OFFLINE)
    monkeypatch.setenv("STAPELKAART_HTTP_RETRIES", "1")
    data = tmp_path / "data"
    monkeypatch.setenv("STAPELKAART_DATA_DIR", str(data))
    return data


def _trends(rows: pd.DataFrame, first: int, last: int = 2024) -> pd.DataFrame:
    out = compute_trends(
        rows,
        first=first,
        last=last,
        counts=COUNT_INDICATORS,
        rates=RATE_INDICATORS,
        breaks=SERIES_BREAKS,
        mergers=GEMEENTE_MERGERS,
    ).trends
    return out[out["indicator"].isin(COUNT_INDICATORS.values())].set_index("code")


def _harmonised(rows: pd.DataFrame, first: int, *, seed: int = 2024) -> pd.DataFrame:
    """``rows`` on the 2024 boundaries of the demo of ``seed`` (for other seeds than the
    app's, with that seed's generated boundaries; the app's path is tested below)."""
    geometries = {
        year: demo_boundaries(year, levels=("gemeente", "wijk"), seed=seed)
        for year in range(first, 2025)
    }
    mergers, splits = series_mergers()
    return harmonise_series(
        rows[rows["year"] >= first],
        target_year=2024,
        counts=COUNT_INDICATORS,
        rates=RATE_INDICATORS,
        scales=RATE_SCALES,
        geometries=geometries,
        mergers=mergers,
        splits=splits,
    ).rows


def test_same_columns_and_types_as_a_fetched_series(monkeypatch, tmp_path):
    from fake_cbs import FakeCbs, FakeCbsServer
    from fake_cbs_series import tiny_series_tables

    with FakeCbsServer(FakeCbs(tables=tiny_series_tables(), page_size=10_000)) as server:
        monkeypatch.setenv("STAPELKAART_CBS_URL", server.url)
        real = fetch_series("wmo", 2020, 2021, ["GM9998"]).rows
    demo = demo_series("wmo", 2020, 2021)
    assert tuple(demo.columns) == SERIES_COLUMNS
    assert demo.dtypes.to_dict() == real.dtypes.to_dict()
    assert set(demo["level"]) == {"gemeente", "wijk"}
    gemeente = demo[demo["level"] == "gemeente"]
    assert (
        set(gemeente["code"]) == {DEMO_GEMEENTE_CODE} and gemeente["boundary_change"].isna().all()
    )
    assert set(demo["gemeentecode"]) == {DEMO_GEMEENTE_CODE}
    assert set(demo["code"]) - {DEMO_GEMEENTE_CODE} == set(make_demo()["wijk"]["code"])


@pytest.mark.parametrize("theme", list(THEMES))
def test_periods_follow_the_cbs_tables(theme):
    rows = demo_series(theme)
    periods = set(rows["period"])
    kinds = {"H": "halfyear", "Q": "quarter", "": "year"}
    for period, year, kind in (
        rows[["period", "year", "period_kind"]].drop_duplicates().itertuples(index=False)
    ):
        assert re.fullmatch(r"\d{4}([HQ]\d)?", period) and int(period[:4]) == year
        assert kind == kinds[period[4:5]]
    assert {"2024H1", "2024Q2"} & periods and not {"2024H2", "2024", "2024Q4"} & periods
    if theme == "bijstand":
        assert set(rows["period_kind"]) == {"quarter"} and min(periods) == "2019Q1"
        assert "2024Q3" in periods
    else:
        assert set(rows["period_kind"]) == {"halfyear", "year"}
        in_2016 = {p for p in periods if p.startswith("2016")}
        assert in_2016 == ({"2016H1", "2016H2", "2016"} if theme == "jeugdzorg" else {"2016H1"})
        assert {"2019H1", "2019H2", "2019"} <= periods
    # one value per area, period and indicator
    assert not rows.duplicated(["code", "period", "indicator"]).any()
    assert set(rows["indicator"]) == {c.name for c in THEMES[theme]}


@pytest.mark.real_data
@pytest.mark.parametrize(
    ("theme", "first", "gemeente"),
    [("wmo", 2016, "GM0505"), ("jeugdzorg", 2017, "GM0505"), ("bijstand", 2019, "GM0202")],
)
def test_periods_are_those_of_the_real_tables(monkeypatch, real_data, theme, first, gemeente):
    from fake_cbs import FakeCbs, FakeCbsServer
    from fake_cbs_series import series_tables_from_dumps

    from cbs_ingest.series_tables import tables_for

    ids = [t.table_id for t in tables_for(theme, first, 2024)]
    with FakeCbsServer(FakeCbs(tables=series_tables_from_dumps(real_data, ids))) as server:
        monkeypatch.setenv("STAPELKAART_CBS_URL", server.url)
        real = fetch_series(theme, first, 2024, [gemeente]).rows
    demo = demo_series(theme, first, 2024)
    key = ["period", "year", "period_kind"]
    assert set(map(tuple, demo[key].drop_duplicates().to_numpy())) == set(
        map(tuple, real[key].drop_duplicates().to_numpy())
    )
    assert set(demo["indicator"]) == set(real["indicator"])


@pytest.mark.parametrize("theme", list(THEMES))
def test_counts_are_rounded_and_rates_agree_with_them(theme):
    rows = demo_series(theme, level="buurt" if theme == "bijstand" else "wijk")
    count = COUNT_INDICATORS[theme]
    values = rows.loc[rows["indicator"] == count, "value"].dropna()
    step = 10 if theme == "bijstand" else 5
    assert len(values) > 100 and (values % step == 0).all() and (values >= 0).all()
    rate = RATE_INDICATORS.get(theme)
    if rate is None:
        return
    wide = rows.pivot_table(index=["code", "period"], columns="indicator", values="value")
    assert (wide[rate].dropna() % 1 == 0).all()  # CBS publishes whole rates
    # in 2024 the rate is the count per the demo's residents (of working age, for bijstand)
    demo = make_demo()
    frames = pd.concat([demo[lvl] for lvl in ("buurt", "wijk", "gemeente")]).set_index("code")
    if theme == "bijstand":
        people = frames["age_15_25"] + frames["age_25_45"] + frames["age_45_65"]
        scale = 100
    else:
        people, scale = frames["population"], 1000
    period = "2024Q2" if theme == "bijstand" else "2024H1"
    now = wide.xs(period, level="period").dropna()
    now = now[now[count] >= 50]
    expected = scale * now[count] / people.reindex(now.index)
    # the rate is rounded to a whole number, from a count before CBS's rounding
    slack = 0.5 + scale * step / 2 / people.reindex(now.index)
    assert len(now) > 5 and expected.notna().all()
    assert ((now[rate] - expected).abs() <= slack + 1e-9).all()


def test_the_2024_level_matches_the_demo_kwb_figures():
    gemeente = make_demo()["gemeente"].iloc[0]
    wijk = make_demo()["wijk"].set_index("code")
    for theme, period, kwb in (
        ("wmo", "2024H1", "wmo_clients"),
        ("jeugdzorg", "2024H1", "youth_care_count"),
        ("bijstand", "2024Q2", "persons_bijstand"),
    ):
        rows = demo_series(theme, 2024, 2024)
        now = rows[(rows["period"] == period) & (rows["indicator"] == COUNT_INDICATORS[theme])]
        level = now.set_index("code")["value"]
        assert level[DEMO_GEMEENTE_CODE] == pytest.approx(gemeente[kwb], rel=0.1)
        stable = [c for c in wijk.index if c in level.index and c not in DEMO_STORY]
        assert stable and all(
            level[c] == pytest.approx(wijk.loc[c, kwb], rel=0.2, abs=20) for c in stable
        )
    rate = demo_series("wmo", 2024, 2024).query(
        "period == '2024H1' and code == @DEMO_GEMEENTE_CODE"
    )
    per_1000 = rate.set_index("indicator").loc["wmo_clients_per_1000", "value"]
    assert per_1000 == pytest.approx(gemeente["wmo_clients_per_1000"], abs=2)


def test_wijken_add_up_to_the_gemeente():
    rows = demo_series("wmo")
    counts = rows[rows["indicator"] == "wmo_clients"]
    total = counts[counts["level"] == "gemeente"].set_index("period")["value"]
    summed = counts[counts["level"] == "wijk"].groupby("period")["value"].sum()
    # each is rounded to 5 on its own: the sum of six wijken differs by at most 6 x 2.5
    assert (summed - total.reindex(summed.index)).abs().max() <= 15


def test_the_seed_decides_everything():
    first = demo_series("bijstand", level="buurt", seed=7)
    pd.testing.assert_frame_equal(first, demo_series("bijstand", level="buurt", seed=7))
    other = demo_series("bijstand", level="buurt", seed=8)
    assert not first["value"].equals(other["value"])
    # a shorter range is the same series, cut
    part = demo_series("wmo", 2019, 2021)
    whole = demo_series("wmo")
    cut = whole[whole["year"].between(2019, 2021)].reset_index(drop=True)
    pd.testing.assert_frame_equal(part, cut)
    # the gemeente row does not depend on the level asked
    wijk, buurt = demo_series("bijstand"), demo_series("bijstand", level="buurt")
    pd.testing.assert_frame_equal(
        wijk[wijk["level"] == "gemeente"].reset_index(drop=True),
        buurt[buurt["level"] == "gemeente"].reset_index(drop=True),
    )


@pytest.mark.parametrize("theme", list(THEMES))
@pytest.mark.parametrize("seed", [2024, 1, 2])
def test_the_rule_flags_the_rising_wijken_only_and_harmonises_the_redrawn_ones(theme, seed):
    rows = demo_series(theme, seed=seed)
    falling = [w for w, (story, _) in DEMO_STORY.items() if story == "falling"]
    for first in sorted({FULL[theme], 2019}):
        # as published: the two redrawn wijken are refused, never compared across 2021
        out = _trends(rows, first)
        wijken = out[out["level"] == "wijk"]
        flagged = sorted(wijken.index[wijken["trend_flag"].fillna(False).astype(bool)])
        assert flagged == RISING, (theme, seed, first)
        redrawn = wijken.loc[REDRAWN]
        assert not redrawn["comparable"].any() and redrawn["trend_flag"].isna().all()
        assert redrawn["reason"].str.contains(f"grenzen gewijzigd in {DEMO_CHANGE_YEAR}").all()
        others = wijken.drop(index=[*RISING, *REDRAWN])
        assert others["comparable"].all() and len(others) == 2
        assert (wijken.loc[falling, "slope"] < 0).all()
        assert (wijken.loc[RISING, "slope"] > 0).all()
        # harmonised onto the 2024 boundaries: both get a trend, the story is unchanged
        harmonised = _trends(_harmonised(rows, first, seed=seed), first)
        after = harmonised[harmonised["level"] == "wijk"]
        assert after["comparable"].all() and after["reason"].isna().all()
        assert after.loc[REDRAWN, "harmonised"].all()
        assert not after.drop(index=REDRAWN)["harmonised"].any()
        flagged = sorted(after.index[after["trend_flag"].fillna(False).astype(bool)])
        assert flagged == RISING, (theme, seed, first, "harmonised")
        unchanged = after.drop(index=REDRAWN).index
        pd.testing.assert_series_equal(
            after.loc[unchanged, "slope"], wijken.loc[unchanged, "slope"]
        )


def test_youth_care_over_its_definition_change_is_refused_as_for_real_data():
    out = _trends(demo_series("jeugdzorg"), 2016)
    assert out["reason"].str.contains("definitie van het thema gewijzigd in 2017").all()


def test_buurten_keep_their_boundaries_and_wijken_sum_the_buurten_they_had():
    from cbs_ingest.demo_boundaries import demo_moved_buurt, demo_wijk_of
    from cbs_ingest.demo_series import _counts

    rows = demo_series("bijstand", level="buurt")
    buurten = rows[rows["level"] == "buurt"]
    assert buurten["code"].str.match(r"^BU9999\d{4}$").all()
    assert (buurten["boundary_change"] == 1).all()  # only the wijk boundaries changed
    assert buurten["value"].isna().any()  # buurten with hardly any residents are secret
    out = _trends(rows, 2019)
    assert out.loc[demo_moved_buurt(), "comparable"]
    # each year's wijk count is the sum of the buurten it had that year, rounded to 10
    counts = _counts("bijstand", 2024)
    wijk = demo_series("bijstand").query("indicator == @COUNT_INDICATORS['bijstand']")
    wijk = wijk.set_index(["code", "period"])["value"]
    moved = demo_moved_buurt()
    for period, year in (("2020Q2", 2020), ("2021Q2", DEMO_CHANGE_YEAR)):
        part = counts[counts["period"] == period]
        members = part["buurt"].map(demo_wijk_of(year))
        summed = np.round(part.groupby(members)["count"].sum() / 10) * 10
        assert (wijk.xs(period, level="period").reindex(summed.index) == summed).all()
        owner = members[part["buurt"] == moved].item()
        assert owner == (CHANGED if year < DEMO_CHANGE_YEAR else DEMO_RECEIVING_WIJK)


def test_load_series_serves_the_demo_without_network_or_store(offline, monkeypatch):
    import cbs_ingest.series_load as series_load

    def no_store():
        raise AssertionError("the demo series must not touch the area store")

    monkeypatch.setattr(series_load, "open_store", no_store)
    for theme in THEMES:
        series = load_series(theme, 2019, 2024, ["gm9999"])
        expected = demo_series(theme, 2019, 2024)
        pd.testing.assert_frame_equal(series.rows, expected)
        assert sorted(series.tables) == list(range(2019, 2025))
        assert all(t.startswith("DEMO-") for t in series.tables.values())
        assert any("Fictieve voorbeeldreeks" in n for n in series.notes)
    buurt = load_series("bijstand", 2020, 2022, [DEMO_GEMEENTE_CODE], level="buurt")
    assert set(buurt.rows["level"]) == {"gemeente", "buurt"}
    assert not offline.exists()


@pytest.mark.parametrize(
    ("args", "level", "dutch"),
    [
        (("bijstand", 2016, 2024), "wijk", "Geen CBS-tabel bijstand voor 2016, 2017, 2018"),
        (("wmo", 2015, 2020), "wijk", "Geen CBS-tabel wmo voor 2015"),
        (("wmo", 2024, 2019), "wijk", "staat verkeerd om"),
        (("wmo", 2019, 2024), "buurt", "geen cijfers per buurt"),
        (("armoede", 2019, 2024), "wijk", "Onbekend thema"),
    ],
)
def test_bad_requests_get_the_same_dutch_message_as_real_ones(offline, args, level, dutch):
    with pytest.raises(InputError) as demo:
        load_series(*args, [DEMO_GEMEENTE_CODE], level=level)
    with pytest.raises(InputError) as real:
        load_series(*args, ["GM0505"], level=level)
    assert dutch in demo.value.nl and demo.value.nl == real.value.nl
    assert not offline.exists()


def test_the_demo_is_not_mixed_with_real_gemeenten(offline):
    with pytest.raises(InputError) as error:
        load_series("wmo", 2019, 2024, [DEMO_GEMEENTE_CODE, "GM0505"])
    assert "fictieve voorbeeldgemeente" in error.value.nl
    assert not offline.exists()


def test_trends_cli_on_the_demo_offline(offline, tmp_path, capsys):
    from geo_app.cli import main
    from layers.export import read_csv_table

    out = tmp_path / "demo.csv"
    code = main(["trends", "-m", DEMO_GEMEENTE_CODE, "--from", "2019", "--to", "2024",
                 "--signal", "--out", str(out)])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    table = read_csv_table(out)
    assert set(table["theme"]) == {*THEMES, "stapeling"}
    flagged = table.loc[table["trend_flag"].fillna(False).astype(bool), "code"]
    assert set(flagged) & {w for w, _ in DEMO_STORY.items()} == set(RISING)
    # the redrawn wijken are harmonised onto the 2024 boundaries, by area, and get a trend
    redrawn = table[table["code"].isin(REDRAWN) & (table["theme"] != "stapeling")]
    before = redrawn[redrawn["period"].str[:4].astype(int) < DEMO_CHANGE_YEAR]
    assert len(before) and before["harmonised"].astype(bool).all()
    assert set(before["harmonise_method"]) == {"oppervlakte"}
    after = redrawn[redrawn["period"].str[:4].astype(int) >= DEMO_CHANGE_YEAR]
    assert not after["harmonised"].astype(bool).any() and after["harmonise_method"].isna().all()
    assert redrawn["comparable"].astype(bool).all() and redrawn["reason"].isna().all()
    assert redrawn["slope"].notna().all()
    assert not offline.exists()
    # the stacking percentile within the gemeente: one value per wijk and year, a trend
    stacking = table[table["theme"] == "stapeling"]
    assert set(stacking["indicator"]) == {"stacking_percentile"}
    assert len(stacking) == 6 * 6 and stacking["value"].between(0, 100).all()
    assert stacking["trend_flag"].isna().all()
    assert stacking["slope"].notna().all() and stacking["comparable"].astype(bool).all()
    header = out.read_text(encoding="utf-8").splitlines()[:30]
    assert any("stapeling" in line and "binnen zijn gemeente" in line for line in header)
    assert any("Fictief wmo 2019" in line for line in header)
    assert any(
        "Grenzen van 2019: gegenereerd (fictieve voorbeeldgemeente)" in line for line in header
    )
    assert not any("Bron: CBS" in line for line in header)
    assert "Stacking percentile within the gemeente" in capsys.readouterr().out
