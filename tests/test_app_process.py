"""``stapelkaart app`` is the server process itself: stopping it stops Streamlit."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest
from _browser import ROOT, free_port, wait_healthy


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.skipif(os.name != "posix", reason="signals as on POSIX")
def test_sigterm_to_the_app_command_stops_the_server(tmp_path):
    port = free_port()
    env = {**os.environ, "STAPELKAART_DATA_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "geo_app", "app", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true"]  # fmt: skip
    log = tmp_path / "app.log"
    with log.open("wb") as handle:
        # No process group of its own: the signal goes to the command's process only.
        proc = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=handle, stderr=handle)
    try:
        wait_healthy(proc, f"http://127.0.0.1:{port}", log)
        proc.terminate()
        proc.wait(timeout=20)
        deadline = time.monotonic() + 10
        while _listening(port) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _listening(port), "Streamlit kept running after its command was stopped"
    finally:
        if proc.poll() is None:
            proc.kill()
