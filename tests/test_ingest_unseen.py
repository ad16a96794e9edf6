"""A gemeente the fixtures above never serve: Dordrecht, with full-resolution geometry.

KWB 2024 figures (population, households, income, land area) for Dordrecht and
Zwijndrecht come from another public source than the Rijnmond data; the
geometry is the 2023 Wijk- en buurtkaart at full resolution, which has one
water-only buurt in Dordrecht ("Groot binnenwater") in a water-only wijk.
"""

from __future__ import annotations

import json

import pytest
from fake_cbs_tables import kwb_table_from_woonikveilig
from fake_pdok import drechtsteden_layers, write_geopackage

import cbs_ingest

pytestmark = pytest.mark.real_data


@pytest.fixture(scope="module")
def drechtsteden_gpkg(real_data, tmp_path_factory):
    layers = drechtsteden_layers(real_data)
    return write_geopackage(layers, tmp_path_factory.mktemp("dr") / "wijkenbuurten_2023.gpkg")


@pytest.mark.parametrize(
    ("gemeente", "n_buurten", "n_wijken"), [("GM0505", 132, 13), ("GM0642", 92, 9)]
)
def test_unseen_gemeente_joins_completely(
    cbs_server, real_data, drechtsteden_gpkg, gemeente, n_buurten, n_wijken
):
    cbs_server.tables["85984NED"] = kwb_table_from_woonikveilig(real_data, ["GM0505", "GM0642"])
    result = cbs_ingest.load(2024, [gemeente], geometry_file=drechtsteden_gpkg)
    assert result.report.complete
    assert len(result.frames["buurt"]) == n_buurten and len(result.frames["wijk"]) == n_wijken
    source = json.loads((real_data / "woonikveilig" / f"{gemeente}.json").read_text())
    expected = {b["code"]: b["demografie"]["inwoners"] for b in source["buurten"]}
    got = result.frames["buurt"].set_index("code")["population"]
    for code, value in expected.items():
        assert (value is None and got[code] != got[code]) or got[code] == value
    names = dict(zip(result.frames["buurt"]["code"], result.frames["buurt"]["name"], strict=True))
    assert names == {b["code"]: b["name"] for b in source["buurten"]}
    if gemeente == "GM0505":
        assert result.report["buurt"].water_only == ["BU05059997"]
        assert result.report["wijk"].water_only == ["WK050599"]
    # Columns this thinner table lacks are all-NaN and say so in the provenance.
    assert result.frames["buurt"]["wmo_clients"].isna().all()
    assert "wmo_clients" in result.provenance["absent_columns"]
    assert result.frames["buurt"].geometry.is_valid.all()
