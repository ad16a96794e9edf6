"""The adversarial uploads again, through ``stapelkaart validate``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from geo_app.cli import main
from tests.test_upload_adversarial import CASES

ROOT = Path(__file__).resolve().parents[1]


def _args(path: Path, options: dict, tmp_path: Path) -> list[str] | None:
    args = ["validate", str(path), "--gemeente", "GM9999"]
    for key, value in options.items():
        if key == "known_codes":
            codes = tmp_path / "codes.txt"
            codes.write_text("\n".join(value), encoding="utf-8")
            args += ["--codes", str(codes)]
        elif key == "pairs":
            args += [arg for num, den in value.items() for arg in ("--pair", f"{num}={den}")]
        elif key == "max_rows":
            args += ["--max-rows", str(value)]
        else:
            return None  # an option the command line does not offer
    return args


@pytest.mark.parametrize(
    ("data", "filename", "options", "kind", "word"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_cli_refuses_bad_files_and_writes_nothing(
    data, filename, options, kind, word, tmp_path, capsys
):
    path = tmp_path / filename
    path.write_bytes(data)
    args = _args(path, options, tmp_path)
    if args is None:
        pytest.skip("option not offered on the command line")
    before = sorted(tmp_path.iterdir())
    assert main([*args, "--lang", "nl"]) == 1
    out = capsys.readouterr().out
    assert "REFUSED" in out and "Nothing was written." in out
    assert word.lower() in out.lower()
    assert sorted(tmp_path.iterdir()) == before


def test_cli_accepts_a_good_file_in_english(tmp_path, capsys):
    path = tmp_path / "wmo.csv"
    path.write_bytes(b"buurtcode;wmo;inw\nBU99990000;40;1000\nBU99990001;4;800\n")
    assert main(["validate", str(path), "--gemeente", "GM9999", "--pair", "wmo=inw"]) == 0
    out = capsys.readouterr().out
    assert "OK: 2 areas, 2 column(s), 1 cell(s) below 10 to be suppressed" in out
    assert "WARNING" in out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--pair", "wmo"], "NUM=DEN"),
        (["--threshold", "0"], "threshold"),
        (["--max-rows", "0"], "max-rows"),
        (["--codes", "/nonexistent/codes.txt"], "codes file"),
    ],
)
def test_cli_bad_options_end_in_one_line(tmp_path, capsys, extra, message):
    path = tmp_path / "wmo.csv"
    path.write_bytes(b"code;wmo\nBU99990000;40\n")
    assert main(["validate", str(path), *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_cli_entry_point_runs_as_a_process(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"code;bsn\nBU99990000;123456782\n")
    proc = subprocess.run(
        [sys.executable, "-m", "geo_app", "validate", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert "person-level" in proc.stdout
    assert "Traceback" not in proc.stderr


SWING_DEMO = (
    b'"Buurten";"wmo|2024";"wmo|2024"\n'
    b'"Buurt Zeilveld";12;"."\n'
    b'"Buurt BOTTERERF";30;14\n'
    b'"Buurt Reigerbuurt e.o.";22;11\n'
    b'"Nergenshuizen";40;40\n'
    b'"Buurten totaal";104;65\n'
)


def test_cli_matches_area_names_of_the_demo_and_takes_accepted_suggestions(tmp_path, capsys):
    path = tmp_path / "in_cijfers.csv"
    path.write_bytes(SWING_DEMO)
    before = sorted(tmp_path.iterdir())
    assert main(["validate", str(path), "--gemeente", "GM9999"]) == 0
    out = capsys.readouterr().out
    assert "NAMES   2 matched (0 exact, 2 normalised, 0 accepted), 1 suggested, 1 unmatched" in out
    assert "MATCH   'Buurt Zeilveld' -> BU99990000 'Zeilveld' (normalised)" in out
    assert "SUGGEST 'Buurt Reigerbuurt e.o.' -> BU99990002 'Reigerbuurt'" in out
    assert "NOMATCH 'Nergenshuizen'" in out
    assert "OK: 2 areas, 2 column(s)" in out
    accept = ["--accept", "Buurt Reigerbuurt e.o.=BU99990002"]
    assert main(["validate", str(path), "--gemeente", "GM9999", *accept]) == 0
    out = capsys.readouterr().out
    assert "1 accepted), 0 suggested, 1 unmatched" in out and "OK: 3 areas" in out
    assert sorted(tmp_path.iterdir()) == before


def test_cli_says_how_to_make_names_checkable_offline(tmp_path, capsys):
    path = tmp_path / "in_cijfers.csv"
    path.write_bytes(SWING_DEMO)
    assert main(["validate", str(path), "--gemeente", "GM0344", "--year", "2023"]) == 1
    out = capsys.readouterr().out
    assert "cannot be checked offline: no cached CBS data for GM0344 in 2023" in out
    assert "stapelkaart ingest --year 2023 --municipality GM0344" in out
    assert "REFUSED" in out
    assert main(["validate", str(path), "--lang", "nl"]) == 1
    out = capsys.readouterr().out
    assert "--gemeente was not given" in out and "CBS-buurtnamen" in out


def test_cli_refuses_a_malformed_accept(tmp_path, capsys):
    path = tmp_path / "in_cijfers.csv"
    path.write_bytes(SWING_DEMO)
    assert main(["validate", str(path), "--gemeente", "GM9999", "--accept", "no-sign"]) != 0
    err = capsys.readouterr().err
    assert "--accept must look like NAME=CODE" in err and len(err.strip().splitlines()) == 1


@pytest.mark.real_data
def test_cli_matches_names_against_an_ingested_gemeente(cbs_server, cbs_gpkg, tmp_path, capsys):
    assert (
        main(["ingest", "--year", "2024", "-m", "GM0606", "-q", "--geometry-file", str(cbs_gpkg)])
        == 0
    )
    capsys.readouterr()
    from cbs_ingest.cached_names import cached_area_names

    names = list(cached_area_names(2024, "GM0606", level="buurt").values())[:3]
    rows = "".join(f'"Buurt {n.upper()}";{20 + i}\n' for i, n in enumerate(names))
    path = tmp_path / "schiedam.csv"
    path.write_text(f'"Buurten";"wmo|2024"\n{rows}', encoding="utf-8")
    assert main(["validate", str(path), "--gemeente", "GM0606", "--level", "buurt"]) == 0
    out = capsys.readouterr().out
    assert "NAMES   3 matched" in out and "OK: 3 areas, 1 column(s)" in out
