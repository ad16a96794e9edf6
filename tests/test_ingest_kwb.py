"""KWB fetching with the real cbsodata client against the local OData v3 server."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from fake_cbs import parse_filter

from cbs_ingest.columns import CANONICAL_COLUMNS
from cbs_ingest.errors import InputError, SourceChangedError, SourceUnavailableError
from cbs_ingest.kwb import convert_value, fetch_kwb, gemeente_filter

pytestmark = pytest.mark.real_data


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (None, "null"),
        (".", "."),
        ("       .", "."),
        ("x", "x"),
        ("?", "?"),
        (-99999999, "sentinel"),
        (-99997.0, "sentinel"),
        ("abc", "text"),
        (float("nan"), "null"),
    ],
)
def test_special_values_become_missing_with_a_reason(raw, reason):
    value, why = convert_value(raw)
    assert math.isnan(value)
    assert why == reason


@pytest.mark.parametrize(("raw", "number"), [(0, 0.0), (12.5, 12.5), ("  42 ", 42.0), ("3,5", 3.5)])
def test_numbers_pass_through(raw, number):
    assert convert_value(raw) == (number, None)


def test_filter_selects_gemeente_wijken_and_buurten_on_padded_keys():
    predicate = parse_filter(gemeente_filter(["GM0606", "GM0502"]))
    keep = ["GM0606    ", "WK060601  ", "BU06060101", "BU05020001"]
    drop = ["GM0607    ", "WK050600  ", "BU06050001", "NL00      "]
    assert all(predicate({"WijkenEnBuurten": k}) for k in keep)
    assert not any(predicate({"WijkenEnBuurten": k}) for k in drop)


def _expected(real_data, gemeente: str) -> pd.DataFrame:
    folder = real_data / "nprz-app"
    bu = pd.read_parquet(folder / "buurt_2024_stats_rijnmond_excl_rotterdam.parquet")
    wk = pd.read_parquet(folder / "wijk_2024_stats.parquet")
    bu = bu[bu["gemeentecode"] == gemeente].assign(code=lambda d: d["buurtcode"])
    wk = wk[wk["gemeentecode"] == gemeente].assign(code=lambda d: d["wijkcode"])
    return pd.concat([bu, wk]).set_index("code")


def _counts(real_data) -> dict[str, int]:
    folder = real_data / "nprz-app"
    files = {
        "gemeente": ("gemeente_2024_stats", "gemeentecode"),
        "wijk": ("wijk_2024_stats", "wijkcode"),
        "buurt": ("buurt_2024_stats_rijnmond_excl_rotterdam", "buurtcode"),
    }
    return {
        level: pd.read_parquet(folder / f"{name}.parquet", columns=[key])[key].nunique()
        for level, (name, key) in files.items()
    }


def test_fetch_maps_columns_strips_codes_and_filters_server_side(cbs_server, real_data):
    table = fetch_kwb(2024, ["GM0606"])
    rows = table.rows.set_index("code")
    expected = _expected(real_data, "GM0606")
    assert set(rows.index) == set(expected.index) | {"GM0606"}
    assert all(len(code) in (6, 8, 10) and code == code.strip() for code in rows.index)
    both = expected.index
    pd.testing.assert_series_equal(
        rows.loc[both, "population"],
        expected["AantalInwoners_5"].astype(float),
        check_names=False,
    )
    pd.testing.assert_series_equal(
        rows.loc[both, "wmo_clients"],
        expected["WmoClienten_93"].astype(float),
        check_names=False,
    )
    buurt = rows[rows["level"] == "buurt"]
    assert (buurt["wijkcode"] == "WK" + buurt.index.str[2:8]).all()
    assert set(rows["gemeentenaam"]) == {"Schiedam"}
    assert rows.loc["GM0606", "name"] == "Schiedam"
    assert rows.loc[expected.index[0], "name"] == expected.iloc[0].get("buurtnaam")
    # Provenance: CBS key per canonical column, as the table names it.
    assert table.keys["population"] == "AantalInwoners_5"
    assert table.keys["pct_corporation_owned"] == "InBezitWoningcorporatie_49"
    assert "pct_households_social_minimum" in table.absent
    assert table.table_id == "85984NED"
    # Only the gemeente's rows crossed the wire: the filter was sent and honoured.
    data_requests = [r for r in cbs_server.log if "/TypedDataSet" in r]
    assert data_requests and all("%24filter=startswith" in r for r in data_requests)


def test_secret_values_are_nan_and_counted(cbs_server, real_data):
    table = fetch_kwb(2024, ["GM0606"])
    expected = _expected(real_data, "GM0606")
    n_secret = int(expected["WmoClienten_93"].isna().sum())
    assert n_secret > 0
    assert table.missing["wmo_clients"] == {"null": n_secret + 0}
    assert table.rows["wmo_clients"].isna().sum() == n_secret


def test_renumbered_table_is_matched_on_prefix(cbs_server):
    a = fetch_kwb(2024, ["GM0622"]).rows.set_index("code")
    b = fetch_kwb(2023, ["GM0622"])
    assert b.table_id == "85618NED"
    assert b.keys["wmo_clients"] == "WmoClienten_100"  # 93 + 7
    names = [c.name for c in CANONICAL_COLUMNS]
    pd.testing.assert_frame_equal(b.rows.set_index("code")[names], a[names])


def test_unknown_gemeente_is_an_input_error(cbs_server):
    with pytest.raises(InputError) as info:
        fetch_kwb(2024, ["GM0001"])
    assert "GM0001" in info.value.message and "GM0001" in info.value.nl


def test_changed_column_set_is_retried_then_a_clear_error(cbs_server, real_data):
    from fake_cbs_tables import kwb_2024_table

    cbs_server.tables["85984NED"] = kwb_2024_table(real_data, drop=("AantalInwoners",))
    with pytest.raises(SourceChangedError) as info:
        fetch_kwb(2024, ["GM0606"])
    assert "AantalInwoners" in info.value.message
    assert "after 3 attempt(s)" in info.value.message
    assert "mist kolommen" in info.value.nl
    assert cbs_server.count("/DataProperties") == 3


def test_without_codering_the_padded_key_gives_the_code(cbs_server, real_data):
    from fake_cbs_tables import kwb_2024_table

    cbs_server.tables["85984NED"] = kwb_2024_table(real_data, drop=("Codering",))
    rows = fetch_kwb(2024, ["GM0597"]).rows
    assert (rows["level"] == "buurt").sum() == 12
    assert rows["code"].str.len().isin([6, 8, 10]).all()


def test_rows_missing_announced_columns_are_retried(cbs_server):
    from fake_cbs import Fault

    cbs_server.faults.append(Fault("TypedDataSet", "dropcol", column="WmoClienten"))
    table = fetch_kwb(2024, ["GM0597"])
    assert table.rows["wmo_clients"].notna().any()
    cbs_server.faults[:] = [Fault("TypedDataSet", "dropcol", column="WmoClienten", times=99)]
    with pytest.raises(SourceChangedError) as info:
        fetch_kwb(2024, ["GM0597"])
    assert "WmoClienten_93" in info.value.message


def test_rejected_filter_falls_back_to_whole_table(cbs_server):
    cbs_server.reject_filters = True
    table = fetch_kwb(2024, ["GM0597"])
    assert set(table.rows["gemeentecode"]) == {"GM0597"}
    assert (table.rows["level"] == "buurt").sum() == 12
    assert any("rejected" in note for note in table.notes)


def test_whole_country_pages_through_next_links(cbs_server, real_data):
    """All rows CBS serves: from ../shared 342 gemeenten, 3,393 wijken and 452 buurten (with
    NL, 4,188 rows: five pages of 1,000); from the fixture 5, 54 and 122 (182: four of 50)."""
    n = _counts(real_data)
    cbs_server.page_size = 1000 if n["wijk"] > 1000 else 50
    table = fetch_kwb(2024, None)
    levels = table.rows["level"].value_counts()
    assert levels.to_dict() == n
    pages = [r for r in cbs_server.log if "/TypedDataSet" in r]
    assert len(pages) == math.ceil((sum(n.values()) + 1) / cbs_server.page_size)
    assert all("%24select=" in page for page in pages)  # next links keep the query
    assert "NL00" not in set(table.rows["code"])


def test_service_document_without_untyped_set_and_dimension(cbs_server, cbs_gpkg):
    """cbsodata's download_data needs UntypedDataSet listed; a leaner feed still works."""
    import cbs_ingest

    cbs_server.listed = ["TableInfos", "TypedDataSet", "DataProperties"]
    result = cbs_ingest.load(2024, ["GM0597"], geometry_file=cbs_gpkg)
    assert result.report.complete and len(result.frames["buurt"]) == 12
    assert result.frames["buurt"]["name"].notna().all()  # names from the geometry
    assert cbs_server.count("/WijkenEnBuurten") == 0


@pytest.mark.parametrize(
    ("value", "base"),
    [
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765"),
        ("http://127.0.0.1:8765/", "http://127.0.0.1:8765"),
        ("127.0.0.1:8765", "http://127.0.0.1:8765"),
        ("https://example.org/proxy/ODataFeed/odata", "https://example.org/proxy"),
    ],
)
def test_cbs_url_configuration(monkeypatch, value, base):
    from cbs_ingest import _http

    monkeypatch.setenv("STAPELKAART_CBS_URL", value)
    assert _http.cbs_base_url() == base


def test_default_cbs_url_is_cbs_itself(monkeypatch):
    import cbsodata

    from cbs_ingest import _http

    monkeypatch.delenv("STAPELKAART_CBS_URL")
    assert _http.cbs_base_url() == "https://" + cbsodata.options.catalog_url


def test_bad_cbs_url_is_an_input_error(monkeypatch):
    from cbs_ingest import _http

    monkeypatch.setenv("STAPELKAART_CBS_URL", "ftp://example.org")
    with pytest.raises(InputError):
        _http.cbs_base_url()


def test_table_missing_on_the_server_is_named(cbs_server):
    del cbs_server.tables["85618NED"]
    with pytest.raises(SourceUnavailableError) as info:
        fetch_kwb(2023, ["GM0606"])
    assert "does not have table 85618NED (HTTP 404)" in info.value.message
    assert cbs_server.count("85618NED") == 1  # a 404 is not retried
