"""``stapelkaart app`` starts fast: no heavy imports before Streamlit, preloading after."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from geo_app import _preload
from geo_app.cli import app as _cmd_app

ROOT = Path(__file__).resolve().parents[1]


def _modules_after(code: str, **env: str) -> set[str]:
    script = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_the_cli_imports_no_data_stack_before_dispatching():
    loaded = _modules_after("import geo_app.cli, geo_app.cli.app, geo_app.cli.serve")
    assert not {"geopandas", "pandas", "sklearn", "esda", "cbs_ingest"} & loaded


def test_app_command_goes_through_the_preloading_launcher():
    command = _cmd_app.streamlit_command(["--server.port", "8599"])
    assert command[1:5] == ["-m", "geo_app.cli.serve", "run", str(ROOT / "geo_app" / "app.py")]
    assert command[-2:] == ["--server.port", "8599"]


def test_preload_imports_the_app_modules_but_nothing_that_needs_a_session():
    loaded = _modules_after(
        "from geo_app import _preload\n"
        "_preload._DONE.update(first=__import__('threading').Event(),"
        " rest=__import__('threading').Event())\n"
        "_preload._run({'first': _preload.FIRST, 'rest': _preload.REST}, 0)"
    )
    assert set(_preload.MODULES) <= loaded
    # A component or st.cache function declared from the preload thread breaks the app
    # (the st_folium iframe gets a 404), so these must wait for the app's own run.
    assert "streamlit_folium" not in loaded
    assert "streamlit" not in loaded


def test_stage_one_holds_no_heavy_module():
    loaded = _modules_after(
        "import importlib\nfrom geo_app import _preload\n"
        "[importlib.import_module(m) for m in _preload.FIRST]"
    )
    assert not {"sklearn", "esda", "libpysal", "mapclassify", "scipy.stats"} & loaded


_WAIT = """
import sys, threading, time
from geo_app import _preload
_preload.wait("rest")  # no thread: returns at once
assert _preload.start(("json",), ("sklearn.cluster",), wait=0) is not None
assert _preload.start() is None  # only once per process
_preload.wait("rest")
assert "sklearn.cluster" in sys.modules
print("ok")
"""


def test_wait_returns_once_the_stage_is_imported():
    done = subprocess.run(
        [sys.executable, "-c", _WAIT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT), _preload.PRELOAD_ENV: "1"},
        check=False,
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


def test_preload_is_off_unless_asked_for(monkeypatch):
    monkeypatch.delenv(_preload.PRELOAD_ENV, raising=False)
    assert not _preload.enabled()
    monkeypatch.setenv(_preload.PRELOAD_ENV, "0")
    assert not _preload.enabled()
    assert _preload.start(("json",), ("json",)) is None
    _preload.wait("first", timeout=1)  # nothing started: returns at once


def test_the_server_asks_no_public_service_for_its_address(monkeypatch):
    from streamlit import net_util

    from geo_app.cli import serve as _serve

    asked: list[str] = []
    monkeypatch.setattr(net_util, "_make_blocking_http_get", lambda url, timeout: asked.append(url))
    monkeypatch.setattr(net_util, "get_external_ip", net_util.get_external_ip)
    _serve.no_external_ip_lookup()
    assert net_util.get_external_ip() is None
    assert asked == []
