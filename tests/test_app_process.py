"""``stapelkaart app`` is the server process itself: stopping it stops Streamlit."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.skipif(os.name != "posix", reason="signals as on POSIX")
def test_sigterm_to_the_app_command_stops_the_server(tmp_path):
    port = _free_port()
    env = {**os.environ, "STAPELKAART_DATA_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "geo_app",
            "app",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        health = f"http://127.0.0.1:{port}/_stcore/health"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(health, timeout=1) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert proc.poll() is None, "the app exited instead of serving"
                assert time.monotonic() < deadline, "the app did not answer within 60 s"
                time.sleep(0.2)
        proc.terminate()
        proc.wait(timeout=20)
        deadline = time.monotonic() + 10
        while _listening(port) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _listening(port), "Streamlit kept running after its command was stopped"
    finally:
        if proc.poll() is None:
            proc.kill()
