from __future__ import annotations

import json

import pandas as pd
import pytest

from cbs_ingest.columns import CANONICAL_COLUMNS, KWB_TABLES, match_columns, table_id
from cbs_ingest.errors import InputError


def test_prefix_matching_survives_renumbered_suffixes():
    old = ["WmoClienten_100", "WmoClientenRelatief_101", "AantalInwoners_5"]
    new = ["WmoClienten_93", "WmoClientenRelatief_94", "AantalInwoners_5"]
    assert match_columns(old)["wmo_clients"] == "WmoClienten_100"
    assert match_columns(old)["wmo_clients_per_1000"] == "WmoClientenRelatief_101"
    assert match_columns(new)["wmo_clients"] == "WmoClienten_93"
    assert match_columns(new)["wmo_clients_per_1000"] == "WmoClientenRelatief_94"


def test_absent_columns_are_not_guessed():
    assert match_columns(["AantalInwoners_5", "Gemeentenaam_1"]) == {
        "population": "AantalInwoners_5"
    }


def test_unknown_year_is_a_clear_input_error():
    with pytest.raises(InputError, match="2011"):
        table_id(2011)
    assert table_id(2024) == KWB_TABLES[2024] == "85984NED"


@pytest.mark.real_data
def test_current_and_march_2025_versions_of_85984NED_both_map(real_data):
    stats = pd.read_parquet(
        real_data / "nprz-app" / "wijk_2024_stats.parquet", columns=None
    ).columns
    current = match_columns(stats)
    props = json.loads(
        (real_data / "cbs-kwb-metadata" / "85984NED_DataProperties_2025-03.json").read_text()
    )
    march = match_columns(p["Key"] for p in props if p.get("Key"))
    # Both versions carry the stacking themes, under different suffixes.
    for name in ("pct_corporation_owned", "persons_bijstand", "youth_care_pct", "wmo_clients"):
        assert name in current and name in march
    assert current["wmo_clients"] == "WmoClienten_93"
    assert march["wmo_clients"] == "WmoClienten_100"
    # Social minimum exists only in the March-2025 version; poverty only in the current one.
    assert (
        "pct_households_social_minimum" in march and "pct_households_social_minimum" not in current
    )
    assert "pct_persons_poverty" in current
    missing_everywhere = {c.name for c in CANONICAL_COLUMNS} - set(current) - set(march)
    assert missing_everywhere == set()
