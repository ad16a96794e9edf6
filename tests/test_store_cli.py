"""The area store through the command line: ingest, stop the servers, analyse offline.

The issue's "done when": after a whole-country ingest the network can go away,
and every gemeente, any set of gemeenten and the whole country analyse offline
through the CLI. ``stapelkaart data list`` / ``remove`` and the shared short
options are tested here too.
"""

from __future__ import annotations

import argparse
import socket

import pandas as pd
import pytest
from fake_cbs import FakeCbs, FakeCbsServer
from fake_pdok import FakePdokServer

import cbs_ingest
from geo_app.cli import main
from layers.export import read_csv_table

pytestmark = pytest.mark.real_data


def _closed(url: str) -> bool:
    host, port = url.rsplit("//", 1)[1].split(":")
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex((host, int(port))) != 0


def _error_line(capsys) -> str:
    _, err = capsys.readouterr()
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("stapelkaart: error: ")
    return lines[0]


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("STAPELKAART_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("STAPELKAART_HTTP_RETRIES", "2")
    monkeypatch.setenv("STAPELKAART_HTTP_BACKOFF", "0.01")
    return tmp_path / "data"


def test_whole_country_ingest_then_offline_analyses(
    data_dir, cbs_tables, cbs_layers_2024, real_data, tmp_path, monkeypatch, capsys
):
    """342 gemeenten and 3,393 wijken from ../shared; the fixture's five gemeenten without it."""
    wijken = pd.read_parquet(real_data / "nprz-app" / "wijk_2024_stats.parquet")
    n_gemeenten, n_wijken = wijken["gemeentecode"].nunique(), len(wijken)
    with (
        FakeCbsServer(FakeCbs(tables=dict(cbs_tables), page_size=10_000)) as cbs,
        FakePdokServer(cbs_layers_2024) as pdok,
    ):
        monkeypatch.setenv("STAPELKAART_CBS_URL", cbs.url)
        monkeypatch.setenv("STAPELKAART_PDOK_URL", pdok.url)
        assert main(["ingest", "-y", "2024", "-w", "-q"]) == 0
        urls = (cbs.url, pdok.url)
    assert all(_closed(url) for url in urls)  # the network is gone: both servers stopped
    capsys.readouterr()

    assert main(["data", "list"]) == 0
    out, _ = capsys.readouterr()
    head = f"2024 (85984NED): the whole country, {n_gemeenten} gemeenten, {n_wijken} wijken, "
    assert head in out
    assert f"source: CBS {urls[0]}; geometry {urls[1]} ({n_gemeenten} gemeenten)" in out

    # Every gemeente is served from the store.
    codes = [r.code for r in cbs_ingest.stored_areas()]
    assert len(codes) == n_gemeenten
    for code in codes:
        assert cbs_ingest.load(2024, [code]).from_cache

    one = tmp_path / "schiedam.csv"
    assert main(["analyse", "-y", "2024", "-m", "GM0606", "-o", str(one)]) == 0
    table = read_csv_table(one)
    assert len(table) == 70 and set(table["code"].str[:6]) == {"BU0606"}

    some = tmp_path / "set.csv"
    args = ["analyse", "-y", "2024", "-m", "GM0606,GM0622", "-m", "GM0505", "-l", "wijk"]
    assert main([*args, "--permutations", "99", "-o", str(some)]) == 0
    table = read_csv_table(some)
    assert set(table["code"].str[2:6]) == {"0606", "0622", "0505"}

    country = tmp_path / "nederland.csv"
    args = ["analyse", "-y", "2024", "--whole-country", "-l", "wijk", "--permutations", "99"]
    assert main([*args, "-o", str(country)]) == 0
    table = read_csv_table(country)
    assert len(table) == n_wijken and table["code"].str[2:6].nunique() == n_gemeenten
    assert pd.to_numeric(table["stacking_score"], errors="coerce").notna().sum() > n_wijken * 0.8
    out, err = capsys.readouterr()
    assert f"Analysed {n_wijken} wijk areas of the whole country" in out
    assert "unreachable" not in err


def test_data_list_and_remove(data_dir, cbs_server, cbs_gpkg, capsys):
    assert main(["data", "list"]) == 0
    out, _ = capsys.readouterr()
    assert "nothing stored" in out and "stapelkaart ingest" in out
    for codes in (["-m", "GM0606", "-m", "GM0622"], ["-m", "GM0597"]):
        argv = ["ingest", "-y", "2024", *codes, "-q", "-g", str(cbs_gpkg)]
        assert main(argv) == 0
    assert main(["ingest", "-y", "2023", "-m", "GM0597", "-q", "-g", str(cbs_gpkg)]) == 0
    capsys.readouterr()
    assert main(["data", "list"]) == 0
    out, _ = capsys.readouterr()
    assert "2024 (85984NED): 3 gemeenten" in out and "2023 (85618NED): 1 gemeente," in out
    assert "GM0606 Schiedam: 70 buurten, 12 wijken; retrieved " in out
    assert f"source: CBS {cbs_server.url}; geometry {cbs_gpkg.resolve()}" in out
    assert out.index("2024 (") < out.index("2023 (")

    assert main(["data", "remove", "-y", "2024", "-m", "GM0606"]) == 0
    out, _ = capsys.readouterr()
    assert "Removed 1 gemeente" in out
    assert main(["data", "list", "-y", "2024"]) == 0
    out, _ = capsys.readouterr()
    assert "GM0606" not in out and "GM0622 " in out and "2023" not in out
    assert main(["data", "remove", "--year", "2023"]) == 0
    assert [(r.year, r.code) for r in cbs_ingest.stored_areas()] == [
        (2024, "GM0597"),
        (2024, "GM0622"),
    ]
    capsys.readouterr()
    assert main(["data", "remove", "-y", "2023"]) == 2
    assert "holds nothing for 2023" in _error_line(capsys)
    assert main(["data", "remove", "-y", "2024", "-m", "Schiedam"]) == 2
    assert "is not a gemeente code" in _error_line(capsys)
    assert len(cbs_ingest.stored_areas()) == 2


def test_data_commands_on_a_damaged_catalogue(data_dir, cbs_server, cbs_gpkg, capsys):
    assert main(["ingest", "-y", "2024", "-m", "GM0606", "-q", "-g", str(cbs_gpkg)]) == 0
    catalogue = data_dir / "store" / "catalogue.sqlite"
    catalogue.write_bytes(b"not a catalogue" * 64)
    capsys.readouterr()
    for argv in (
        ["data", "list"],
        ["data", "remove", "-y", "2024"],
        ["analyse", "-m", "GM0606", "-o", "x.csv"],
    ):
        assert main(argv) == 2
        assert "The area store is damaged: catalogue catalogue.sqlite" in _error_line(capsys)
    assert catalogue.read_bytes() == b"not a catalogue" * 64


def test_data_list_shows_a_damaged_file(data_dir, cbs_server, cbs_gpkg, capsys):
    assert main(["ingest", "-y", "2024", "-m", "GM0606", "-q", "-g", str(cbs_gpkg)]) == 0
    (path,) = (data_dir / "store" / "2024").glob("areas-*.parquet")
    path.write_bytes(path.read_bytes()[:-100])
    capsys.readouterr()
    assert main(["data", "list"]) == 0
    out, _ = capsys.readouterr()
    assert f"DAMAGED: 2024/{path.name}" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["data"],
        ["data", "remove"],
        ["data", "remove", "-y", "abc"],
        ["data", "wipe"],
        ["analyse", "-y", "2024", "-o", "x.csv"],
        ["analyse", "-y", "2024", "-m", "GM0606", "--whole-country", "-o", "x.csv"],
    ],
)
def test_usage_mistakes_are_one_line(data_dir, capsys, argv):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert "see stapelkaart " in _error_line(capsys)


def test_every_command_takes_the_same_short_options():
    from geo_app.cli import build_parser

    def subcommands(parser) -> dict:
        found = {}
        for action in parser._actions:  # noqa: SLF001
            if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
                for name, sub in action.choices.items():
                    found[name] = sub
                    found.update({f"{name} {k}": v for k, v in subcommands(sub).items()})
        return found

    commands = subcommands(build_parser())
    names = {"data list", "data remove", "ingest", "analyse", "validate", "demo", "trends"}
    assert names <= set(commands)
    shared = {"-y": "--year", "-m": "--municipality", "-w": "--whole-country", "-q": "--quiet"}
    seen: dict[str, set[str]] = {}
    for name, sub in commands.items():
        for action in sub._actions:  # noqa: SLF001
            shorts = [o for o in action.option_strings if len(o) == 2]
            longs = [o for o in action.option_strings if o.startswith("--")]
            for short in shorts:
                seen.setdefault(short, set()).add(longs[0])  # canonical spelling
                if short in shared:
                    assert shared[short] in longs, (name, action.option_strings)
    for short, long in shared.items():
        assert seen.get(short) == {long}, (short, seen.get(short))
    assert all(len(longs) == 1 for longs in seen.values()), seen  # one meaning per letter
    for name, expected in {
        "ingest": {"-y", "-m", "-w"},
        "analyse": {"-y", "-m", "-w", "-l", "-o"},
        "data list": {"-y", "-m"},
        "data remove": {"-y", "-m"},
        "validate": {"-y", "-m", "-l"},
        "demo": {"-o"},
        "trends": {"-m", "-w", "-l", "-o"},
    }.items():
        options = {o for a in commands[name]._actions for o in a.option_strings}  # noqa: SLF001
        assert expected <= options, name
