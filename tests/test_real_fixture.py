"""The compact real-data fixture in ``tests/fixtures/real``: small, attributed, as built."""

from __future__ import annotations

import gzip

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest

from tests._real import FIXTURE_RAW, real_raw
from tests.fixtures import build_real_fixture as builder

ATTRIBUTION = "Bron: CBS, Kadaster, CC BY 4.0"


def test_fixture_is_small_listed_and_attributed():
    files = builder.data_files(FIXTURE_RAW)
    assert len(files) == 48
    assert sum(p.stat().st_size for p in files) <= 3_000_000
    sources = (FIXTURE_RAW / "SOURCES.md").read_text(encoding="utf-8")
    assert ATTRIBUTION in sources
    assert ATTRIBUTION in builder.__doc__
    for path in files:
        assert f"`{path.relative_to(FIXTURE_RAW).as_posix()}`" in sources, path
    # The extracts in whole/ are whole: every wijk of the country, every Rijnmond buurt.
    whole = FIXTURE_RAW / builder.WHOLE / builder.NPRZ
    wijken = pd.read_parquet(whole / "wijk_2024_stats.parquet")
    assert (len(wijken), wijken["gemeentecode"].nunique()) == (3393, 342)
    buurten = pd.read_parquet(whole / "buurt_2024_stats_rijnmond_excl_rotterdam.parquet")
    assert (len(buurten), buurten["gemeentecode"].nunique()) == (452, 11)
    polygons = gpd.read_file(f"/vsigzip/{whole / builder.WHOLE_GEOMETRY}")
    assert sorted(polygons["wijkcode"]) == sorted(wijken["wijkcode"])


def _cells(path) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book}
    finally:
        book.close()


def _same_content(built, committed) -> None:
    if committed.suffix == ".parquet":
        pd.testing.assert_frame_equal(pd.read_parquet(built), pd.read_parquet(committed))
    elif committed.suffix == ".gz":
        assert gzip.decompress(built.read_bytes()) == gzip.decompress(committed.read_bytes())
    elif committed.suffix == ".xlsx":  # openpyxl stamps the save time: compare the cells
        assert _cells(built) == _cells(committed)
    else:
        assert built.read_bytes() == committed.read_bytes()


@pytest.mark.real_data
def test_builder_reproduces_the_fixture(tmp_path):
    """Rebuild and compare, file by file.

    With ``../shared`` this is the real check: the fixture is what the script builds
    from the shared data, and no file is a byte copy of its source. Without it the
    builder runs on the fixture itself, which must come out unchanged: only the chosen
    gemeenten, columns and fields, in the builder's formats and on its coordinate grid.
    """
    source = real_raw()
    built = builder.build(source, tmp_path)
    committed = builder.data_files(FIXTURE_RAW)
    assert [p.relative_to(tmp_path) for p in built] == [
        p.relative_to(FIXTURE_RAW) for p in committed
    ]
    for new, old in zip(built, committed, strict=True):
        _same_content(new, old)
    if source != FIXTURE_RAW:  # from ../shared: a subset, never a copy of a shared file
        for old in committed:
            path = old.relative_to(FIXTURE_RAW)
            if path.parts[0] == builder.WHOLE:  # an extract of the file of the same name
                path = path.relative_to(builder.WHOLE)
            assert old.read_bytes() != (source / path).read_bytes()


def test_builder_without_shared_data_says_so(tmp_path, capsys):
    assert builder.main(["--source", str(tmp_path / "nothing"), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "shared data not found" in err[0]
    assert list(tmp_path.iterdir()) == []
