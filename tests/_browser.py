"""Shared pieces of the browser tests: Debian Chromium, a served app, an offline browser context.

Every browser test starts a Streamlit process on 127.0.0.1, waits until it is healthy
and drives it with Playwright in Debian's Chromium, with every request that is not for
127.0.0.1 aborted and recorded.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# The map's frame in the live element: while Streamlit reruns, the previous frame stays in the
# page marked stale, and a second frame can exist for a moment.
FOLIUM_IFRAME = (
    "[data-testid='stElementContainer'][data-stale='false'] "
    "iframe[title='streamlit_folium.st_folium']"
)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def require_browser() -> None:
    """Skip the test, saying why, without Playwright or Debian's Chromium."""
    pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}")


@contextmanager
def serve(
    command: Sequence[str],
    *,
    cwd: Path,
    env: dict[str, str],
    log: Path,
    port: int,
    timeout: float = 60,
) -> Iterator[str]:
    """Run ``command`` (a Streamlit server on ``port``) until the block ends; yield its URL.

    The process gets its own process group, which is stopped as a whole. Fails the test
    with the end of the log when the server exits or is not healthy within ``timeout``.
    """
    with log.open("wb") as handle:
        proc = subprocess.Popen(
            list(command),
            cwd=cwd,
            env={**os.environ, "PYTHONPATH": str(ROOT), **env},
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            try:
                wait_healthy(proc, base, log, timeout=timeout)
            except RuntimeError as exc:
                pytest.fail(str(exc))
            yield base
        finally:
            stop(proc)


def wait_healthy(
    proc: subprocess.Popen, base: str, log: Path, *, timeout: float = 60, poll: float = 0.2
) -> None:
    """Wait until the Streamlit server at ``base`` answers its health check.

    Raises
    ------
    RuntimeError
        With the end of ``log`` when the process exits, or when ``timeout`` passes.
    """
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server was not healthy within {timeout:.0f} s")
        time.sleep(poll)


def stop(proc: subprocess.Popen, timeout: float = 10) -> None:
    """Stop the process group of ``proc`` (started with ``start_new_session=True``)."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=timeout)


def streamlit_command(script: str | Path, port: int, *extra: str) -> list[str]:
    """``python -m streamlit run script`` on 127.0.0.1:``port``, headless, no file watcher."""
    import sys

    return [
        sys.executable, "-m", "streamlit", "run", str(script),
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--server.headless", "true",
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
        *extra,
    ]  # fmt: skip


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium, headless, through Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _loopback_only(route: Any, blocked: list[str]) -> None:
    if urlsplit(route.request.url).hostname == "127.0.0.1":
        route.continue_()
    else:
        blocked.append(route.request.url)
        route.abort()


def offline_context(browser: Any, viewport: dict[str, int]) -> tuple[Any, list[str]]:
    """A new context of a running ``browser`` that aborts every request not for 127.0.0.1."""
    context = browser.new_context(viewport=viewport)
    blocked: list[str] = []
    context.route("**/*", lambda route: _loopback_only(route, blocked))
    return context, blocked


def layer_options(page: Any) -> list[str]:
    """The options of the sidebar's "Kaartlaag" selectbox (opens and closes it)."""
    box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(
        has_text="Kaartlaag"
    )
    box.click()
    options = page.get_by_role("option")
    options.first.wait_for(timeout=10_000)
    labels = [t.strip() for t in options.all_inner_texts()]
    page.keyboard.press("Escape")
    return labels


def wait_complete(page: Any, timeout: float = 60) -> list[str]:
    """Wait until the layer list offers the hotspots: the whole analysis is shown.

    The app draws the stacking map first and reruns once clusters, hotspots and the
    rank uncertainty are computed; a test that acts on the map waits for that rerun.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        options = layer_options(page)
        if "Hotspots" in options:
            return options
        page.wait_for_timeout(100)
    raise RuntimeError(f"no hotspot layer within {timeout:.0f} s")
