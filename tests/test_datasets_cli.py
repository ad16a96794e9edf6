"""``stapelkaart datasets`` and the stored datasets in ``stapelkaart analyse`` (demo gemeente)."""

from __future__ import annotations

import pandas as pd
import pytest

from cbs_ingest.datasets import open_store
from cbs_ingest.demo import make_demo
from geo_app.cli import main
from layers.export import read_csv_table


def _csv(tmp_path, name: str = "wmo.csv", *, shift: int = 0):
    codes = list(make_demo()["buurt"]["code"])
    lines = ["buurtcode;wmo;inwoners"]
    lines += [f"{c};{(i * 7 + shift) % 40};{300 + i}" for i, c in enumerate(codes)]
    path = tmp_path / name
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _add(path, *extra: str) -> list[str]:
    return ["datasets", "add", str(path), "-m", "GM9999", "--level", "buurt", "--year", "2024",
            "--name", "wmo_2024", "--user", "data@gemeente.example", *extra]  # fmt: skip


def test_add_list_replace_remove_and_audit(datasets_backend, tmp_path, capsys):
    path = _csv(tmp_path)
    assert main(_add(path)) == 0
    out = capsys.readouterr().out
    assert "Stored wmo_2024 version 1 for GM9999 2024 (buurt): 60 rows" in out
    (stored,) = open_store().latest("GM9999", 2024, allowed=None)
    counts = stored.values.loc[stored.values["column"] == "wmo", "value"]
    assert counts.isna().any() and (counts.dropna() >= 10).all()  # protected, never small counts

    # A second add under the same name is a clash: one line, non-zero exit, nothing written.
    assert main(_add(_csv(tmp_path, shift=3))) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("stapelkaart: error: Dataset 'wmo_2024' of GM9999 in 2024 exists")
    assert len(err.splitlines()) == 1
    assert [v.version for v in open_store().list(all_versions=True)] == [1]

    assert main(_add(_csv(tmp_path, shift=3), "--replace")) == 0
    assert "version 2" in capsys.readouterr().out
    assert main(["datasets", "list", "--all-versions"]) == 0
    listing = capsys.readouterr().out
    assert "(earlier version)" in listing and "data@gemeente.example [cli]" in listing

    assert main(["datasets", "remove", "wmo_2024", "-m", "GM9999", "--year", "2024"]) == 0
    assert "for everyone" in capsys.readouterr().out
    assert open_store().latest("GM9999", 2024, allowed=None) == []
    assert main(["datasets", "list"]) == 0
    assert "No datasets stored." in capsys.readouterr().out
    assert main(["datasets", "remove", "wmo_2024", "-m", "GM9999", "--year", "2024"]) == 2
    assert "nothing was removed" in capsys.readouterr().err

    out_file = tmp_path / "audit.csv"
    assert main(["datasets", "audit", "--out", str(out_file)]) == 0
    log = pd.read_csv(out_file)
    assert log["action"].tolist() == ["remove", "replace", "upload"]
    assert main(["datasets", "audit"]) == 0
    shown = capsys.readouterr().out
    assert "audit_export" in shown and "remove" in shown


def test_a_refused_file_stores_nothing(tmp_path, capsys):
    path = tmp_path / "fout.csv"
    path.write_text("buurtcode;wmo\nBU99990000;-3\nBU12345678;12\n", encoding="utf-8")
    assert main(_add(path)) == 1
    assert "REFUSED" in capsys.readouterr().out
    assert open_store().list(all_versions=True) == [] and open_store().audit_log().empty


@pytest.mark.parametrize(
    ("args", "word"),
    [
        (["--name", "Wmo 2024!"], "may hold only"),
        (["-m", "9999"], "Not a gemeente code"),
    ],
)
def test_bad_names_and_codes_end_with_one_line(tmp_path, capsys, args, word):
    argv = _add(_csv(tmp_path))
    for option, value in zip(args[::2], args[1::2], strict=True):
        argv[argv.index(option) + 1] = value
    assert main(argv) == 2
    assert word in capsys.readouterr().err
    assert open_store().list(all_versions=True) == []


def test_analyse_includes_the_stored_datasets_as_gem_columns(tmp_path, capsys):
    out = tmp_path / "result.csv"
    analyse = ["analyse", "--municipality", "GM9999", "--permutations", "0", "--out", str(out)]
    assert main(analyse) == 0
    assert not [c for c in read_csv_table(out).columns if c.startswith("gem_")]
    assert main(_add(_csv(tmp_path))) == 0
    capsys.readouterr()
    assert main(analyse) == 0
    assert "Including stored datasets: GM9999/wmo_2024 v1" in capsys.readouterr().err
    table = read_csv_table(out)
    gem = [c for c in table.columns if c.startswith("gem_")]
    assert "gem_wmo" in gem
    (stored,) = open_store().latest("GM9999", 2024, allowed=None)
    counts = stored.values.query("level == 'buurt' and column == 'wmo'").set_index("code")["value"]
    rates = table.set_index("code")["gem_wmo"].reindex(counts.index)
    # A hidden count gives no rate; every shown rate is the protected count per 1,000 inhabitants.
    assert rates[counts.isna()].isna().all() and rates.notna().sum() > 10
    population = make_demo()["buurt"].set_index("code")["population"].reindex(counts.index)
    shown = rates.notna()
    assert rates[shown].round(6).tolist() == (counts / population * 1000)[shown].round(6).tolist()


def test_a_broken_store_file_ends_with_one_line_and_is_left_alone(tmp_path, capsys):
    from cbs_ingest.datasets import store_path

    store_path().write_bytes(b"kapot" * 500)
    before = store_path().read_bytes()
    for argv in (_add(_csv(tmp_path)), ["datasets", "list"], ["datasets", "audit"]):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "is unreadable" in err[0] and "nothing was changed" in err[0]
    assert store_path().read_bytes() == before


def test_a_wrong_database_url_ends_with_one_line_without_the_password(
    tmp_path, capsys, monkeypatch
):
    pytest.importorskip("psycopg")
    monkeypatch.setenv("STAPELKAART_DATABASE_URL", "postgresql://gm:geheim@127.0.0.1:9/stapelkaart")
    for argv in (_add(_csv(tmp_path)), ["datasets", "list"], ["datasets", "audit"]):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "dataset store database at postgresql://127.0.0.1:9/" in err[0]
        assert "geheim" not in err[0] and "nothing was changed" in err[0]
    assert not any(tmp_path.rglob("*.sqlite"))
