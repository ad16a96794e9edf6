"""Stored datasets shared between app sessions and processes, and the audit log (AppTest, demo)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from streamlit.testing.v1 import AppTest

from cbs_ingest.datasets import open_store, store_path
from geo_app.access.roles import ENV_VAR, LOCAL_ROLE
from geo_app.session import shared as _shared
from tests.test_app_wiring import (  # _fresh: autouse fixture, fresh caches and no roles file
    APP,
    GEM_WMO,
    KEY,
    _fresh,  # noqa: F401
    confirm,
    good_csv,
    layer_options,
    ok,
    upload,
)
from tests.test_app_wiring import texts as _texts

ROOT = Path(__file__).resolve().parents[1]
ROLES = """
[access]
local_role = "{local}"

[access.roles.gemeente]
levels = ["buurt", "wijk", "gemeente"]
indicators = "*"
export_levels = ["buurt", "wijk", "gemeente"]
export_indicators = "*"
datasets = "*"
upload = true
audit = true

[access.roles.wijkteam]
levels = ["buurt", "wijk"]
indicators = "*"
datasets = ["wmo_2024"]

[access.roles.corporatie]
levels = ["buurt", "wijk"]
indicators = "*"
datasets = []
"""


def texts(at: AppTest) -> str:
    """The shown texts without Markdown escapes."""
    return _texts(at).replace("\\", "")


def as_role(tmp_path, monkeypatch, role: str) -> None:
    """Runs from now on use ``role`` (the roles file is read on every run)."""
    path = tmp_path / f"rollen_{role}.toml"
    path.write_text(ROLES.format(local=role), encoding="utf-8")
    monkeypatch.setenv(ENV_VAR, str(path))


def session(tmp_path, monkeypatch, role: str, **params) -> AppTest:
    as_role(tmp_path, monkeypatch, role)
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    return ok(at)


def rerun(at: AppTest, tmp_path, monkeypatch, role: str) -> AppTest:
    as_role(tmp_path, monkeypatch, role)
    at.run()
    return ok(at)


def test_a_confirmed_dataset_reaches_allowed_sessions_only_and_removal_reaches_all(
    datasets_backend, tmp_path, monkeypatch
):
    officer = session(tmp_path, monkeypatch, "gemeente", tab="data")
    wijkteam = session(tmp_path, monkeypatch, "wijkteam")
    corporatie = session(tmp_path, monkeypatch, "corporatie")
    assert GEM_WMO not in layer_options(wijkteam)

    as_role(tmp_path, monkeypatch, "gemeente")
    confirm(upload(officer, "wmo_2024.csv", good_csv()))
    assert "Opgeslagen als 'wmo_2024', versie 1" in texts(officer)
    (meta,) = open_store().list()
    assert (meta.name, meta.version, meta.uploaded_by, meta.role) == (
        "wmo_2024",
        1,
        "lokaal",
        "gemeente",
    )

    # The wijkteam session sees it on its next rerun, without uploading anything.
    rerun(wijkteam, tmp_path, monkeypatch, "wijkteam")
    assert GEM_WMO in layer_options(wijkteam)
    entry = wijkteam.session_state["upload"][(2024, "GM9999", "buurt")]
    assert entry["names"] == ["wmo_2024"] and entry["suppressed"]["gem_wmo"]
    # The corporatie's role names no datasets: nothing is joined for it.
    rerun(corporatie, tmp_path, monkeypatch, "corporatie")
    assert GEM_WMO not in layer_options(corporatie)
    assert not corporatie.session_state["upload"]

    # Removal by the officer (the stored list's button) disappears everywhere.
    rerun(officer, tmp_path, monkeypatch, "gemeente")
    officer.button(key="ds_remove_GM9999_2024_wmo_2024").click()
    rerun(officer, tmp_path, monkeypatch, "gemeente")
    assert "'wmo_2024' (versie 1) is verwijderd voor iedereen" in texts(officer)
    assert GEM_WMO not in layer_options(officer)
    rerun(wijkteam, tmp_path, monkeypatch, "wijkteam")
    assert GEM_WMO not in layer_options(wijkteam)
    assert open_store().list() == []
    assert open_store().audit_log()["action"].tolist() == ["remove", "upload"]


def test_two_people_replacing_at_once_one_wins_and_the_other_gets_a_dutch_message(
    datasets_backend, tmp_path, monkeypatch
):
    as_role(tmp_path, monkeypatch, "gemeente")
    first = session(tmp_path, monkeypatch, "gemeente", tab="data")
    confirm(upload(first, "wmo_2024.csv", good_csv()))
    anna = session(tmp_path, monkeypatch, "gemeente", tab="data")
    bert = session(tmp_path, monkeypatch, "gemeente", tab="data")
    changed = good_csv().replace(b";300\n", b";333\n")
    upload(anna, "wmo_2024.csv", changed)
    upload(bert, "wmo_2024.csv", changed + b"\n")
    assert "Bevestigen maakt versie 2" in texts(anna) and "Bevestigen maakt versie 2" in texts(bert)
    confirm(anna)
    assert "versie 2" in texts(anna)
    confirm(bert)
    body = texts(bert)
    assert "is intussen gewijzigd (nu versie 2" in body and "Er is niets vervangen" in body
    versions = open_store().list(all_versions=True)
    assert [(v.version, v.current) for v in versions] == [(1, False), (2, True)]
    assert f"{KEY}_confirmed" not in bert.session_state  # nothing in use from the refused confirm
    # Bert now sees version 2; confirming again is a deliberate replacement of it.
    upload(bert, "wmo_2024.csv", changed + b"\n\n")
    assert "Bevestigen maakt versie 3" in texts(bert)


def test_a_dataset_stored_by_another_process_appears_without_restart(
    datasets_backend, tmp_path, monkeypatch
):
    at = session(tmp_path, monkeypatch, "wijkteam")
    assert GEM_WMO not in layer_options(at)
    path = tmp_path / "wmo.csv"
    path.write_bytes(good_csv())
    done = subprocess.run(
        [sys.executable, "-m", "geo_app", "datasets", "add", str(path), "-m", "GM9999",
         "--level", "buurt", "--year", "2024", "--name", "wmo_2024", "--user", "cli-user"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rerun(at, tmp_path, monkeypatch, "wijkteam")
    assert GEM_WMO in layer_options(at)
    subprocess.run(
        [sys.executable, "-m", "geo_app", "datasets", "remove", "wmo_2024", "-m", "GM9999",
         "--year", "2024"],
        cwd=ROOT, capture_output=True, timeout=120, check=True,
    )  # fmt: skip
    rerun(at, tmp_path, monkeypatch, "wijkteam")
    assert GEM_WMO not in layer_options(at)


def test_the_audit_log_is_shown_to_audit_roles_only_and_records_downloads(tmp_path, monkeypatch):
    officer = session(tmp_path, monkeypatch, "gemeente", tab="data")
    confirm(upload(officer, "wmo_2024.csv", good_csv()))
    # The data of a download button is handed out, and recorded, when it is clicked.
    data = _shared.audited(
        b"x;y", role=LOCAL_ROLE, year=2024, code="GM9999", what="stapelkaart.csv"
    )
    assert len(open_store().audit_log()) == 1  # nothing recorded before the click
    assert data() == b"x;y"
    rerun(officer, tmp_path, monkeypatch, "gemeente")
    shown = next(d.value for d in officer.dataframe if "action" in d.value.columns)
    assert shown["action"].tolist() == ["download", "upload"]
    assert shown.iloc[0][["who", "role", "detail"]].tolist() == [
        "lokaal",
        "lokaal",
        "stapelkaart.csv",
    ]
    assert "audit_download" in {b.key for b in officer.get("download_button")}
    wijkteam = session(tmp_path, monkeypatch, "wijkteam", tab="data")
    assert "Auditlog" not in [e.label for e in wijkteam.expander]
    assert not [d for d in wijkteam.dataframe if "action" in d.value.columns]


def test_a_broken_store_file_gives_a_dutch_message_and_the_map_still_works(tmp_path, monkeypatch):
    store_path().write_bytes(b"kapot" * 500)
    before = store_path().read_bytes()
    at = session(tmp_path, monkeypatch, "gemeente", tab="data")
    assert "beschadigd of onleesbaar" in texts(at)
    assert layer_options(at)  # the CBS layers are there
    confirm(upload(at, "wmo_2024.csv", good_csv()))
    assert "beschadigd of onleesbaar" in texts(at)
    assert GEM_WMO not in layer_options(at)
    assert store_path().read_bytes() == before


def test_an_unusable_database_gives_a_dutch_message_and_the_map_still_works(tmp_path, monkeypatch):
    monkeypatch.setenv("STAPELKAART_DATABASE_URL", "postgresql://gm:geheim@127.0.0.1:9/x")
    at = session(tmp_path, monkeypatch, "gemeente", tab="data")
    body = texts(at)
    assert "database met eigen datasets" in body and "niet bruikbaar" in body
    assert "geheim" not in body and "Traceback" not in body
    assert layer_options(at)  # the CBS layers are there
    confirm(upload(at, "wmo_2024.csv", good_csv()))
    assert "niet bruikbaar" in texts(at) and GEM_WMO not in layer_options(at)
    assert not store_path().exists()  # no silent fall-back to the local file


def test_two_people_creating_the_same_new_name_at_once_the_second_is_told(tmp_path, monkeypatch):
    anna = session(tmp_path, monkeypatch, "gemeente", tab="data")
    bert = session(tmp_path, monkeypatch, "gemeente", tab="data")
    upload(anna, "wmo_2024.csv", good_csv())
    upload(bert, "wmo_2024.csv", good_csv() + b"\n")
    confirm(anna)
    confirm(bert)
    body = texts(bert)
    assert "Er bestaat al een dataset 'wmo_2024'" in body and "niets opgeslagen" in body
    assert [(v.version, v.file_sha256) for v in open_store().list(all_versions=True)] == [
        (1, hashlib.sha256(good_csv()).hexdigest())
    ]


def test_the_audit_option_of_a_role():
    import pytest

    from cbs_ingest.errors import InputError
    from geo_app.access.roles import parse_access_config

    def role(**spec):
        roles = {"r": {"levels": ["buurt"], **spec}}
        return parse_access_config({"roles": roles}).roles["r"]

    assert role().audit is False and role(audit=True).audit is True
    assert LOCAL_ROLE.audit is True  # the person at the keyboard holds the data already
    with pytest.raises(InputError, match="audit must be true or false"):
        role(audit="ja")
