"""The default profile on gemeenten the analysis was not tuned on: Dordrecht and Zwijndrecht.

Dordrecht's area approach "Dordt West" covers the post-war wijken Wielwijk, Crabbehof and
Krispijn (Nieuw- and Oud-Krispijn), the city's part in the national "krachtwijken" list of
2007. With the default profile and the gemeente as the comparison scope, those wijken must
rank at the top of Dordrecht's 13 wijken, and none of them at the bottom.
"""

from __future__ import annotations

import pytest

from models import run_analysis
from tests._real import area_frame, attribute_frame

DORDT_WEST = {
    "Wijk 07 Wielwijk",
    "Wijk 08 Crabbehof/Zuidhoven",
    "Wijk 04 Nieuw-krispijn",
    "Wijk 03 Oud Krispijn",
}


@pytest.mark.real_data
def test_dordrecht_focus_wijken_rank_at_the_top(real_data):
    frame = area_frame(real_data, "wijk", ["GM0505"])
    assert len(frame) == 13
    table = run_analysis(frame, permutations=0).table
    ranked = table.sort_values("stacking_score", ascending=False)
    top3 = ranked["name"].head(3).tolist()
    assert set(top3) <= DORDT_WEST, top3
    flagged = set(table.loc[table["stacking_flag"].astype(bool), "name"])
    assert flagged and flagged <= DORDT_WEST, flagged
    bottom = set(ranked["name"].tail(4))
    assert not bottom & DORDT_WEST


@pytest.mark.real_data
def test_dordrecht_focus_wijken_stand_out_nationally(national_data):
    frame = attribute_frame(national_data, "wijk")
    table = run_analysis(frame, scope="selection", permutations=0).table
    dordrecht = table[table["gemeentecode"] == "GM0505"].set_index("name")
    # Within all 3,393 wijken, Wielwijk and Crabbehof are in the highest 5 %.
    assert (
        dordrecht.loc[["Wijk 07 Wielwijk", "Wijk 08 Crabbehof/Zuidhoven"], "stacking_percentile"]
        >= 95
    ).all()
