"""End to end: the map draws in headless Chromium with every non-loopback request blocked.

A tiny Streamlit page (``tests/apps/map_only.py``) renders the demo gemeente with
``build_map`` through ``streamlit_folium.st_folium``. It is copied into a
temporary folder with Leaflet put into the ``static/`` folder next to it by
``ensure_assets``, exactly as the real app has it next to ``geo_app/app.py``, and
started with ``python -m streamlit run``. Playwright aborts every request that
is not for 127.0.0.1 and records it.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser

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
PDOK_TILE = re.compile(
    r"^https://service\.pdok\.nl/brt/achtergrondkaart/wmts/v2_0/grijs/EPSG:3857/\d+/\d+/\d+\.png$"
)
FOLIUM_IFRAME = "iframe[title='streamlit_folium.st_folium']"
N_DEMO_BUURTEN = 60


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def map_app(tmp_path_factory):
    """Start the map-only page; yield its base URL."""
    pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    from geo_app.assets import ensure_assets

    folder = tmp_path_factory.mktemp("map_app")
    shutil.copy(ROOT / "tests" / "apps" / "map_only.py", folder / "map_only.py")
    ensure_assets(folder / "static")
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [
        sys.executable, "-m", "streamlit", "run", "map_only.py",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--server.headless", "true",
        "--server.enableStaticServing", "true",
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    log = open(folder / "streamlit.log", "wb")  # noqa: SIM115 - closed in teardown
    proc = subprocess.Popen(command, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited: {(folder / 'streamlit.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("streamlit did not become healthy within 60 s")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def offline_page(browser):
    """A page on which every request not for 127.0.0.1 is aborted and recorded."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    blocked: list[str] = []
    dialogs: list[str] = []

    def route(route):
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    yield page, blocked, dialogs
    context.close()


def _wait_for_map(page, url: str):
    started = time.monotonic()
    page.goto(url)
    frame = page.frame_locator(FOLIUM_IFRAME)
    paths = frame.locator("path.leaflet-interactive")
    paths.first.wait_for(timeout=30_000)
    # All areas are drawn in one go; allow the frame a moment to finish the loop.
    page.wait_for_function(
        """([sel, n]) => {
            const f = document.querySelector(sel);
            return f && f.contentDocument &&
                f.contentDocument.querySelectorAll('path.leaflet-interactive').length >= n;
        }""",
        arg=[FOLIUM_IFRAME, N_DEMO_BUURTEN],
        timeout=10_000,
    )
    return frame, time.monotonic() - started


def _area_point(page, code: str) -> tuple[float, float]:
    """Page coordinates of the centre of the area with ``code`` (demo cells are convex)."""
    iframe = page.locator(FOLIUM_IFRAME)
    box = iframe.bounding_box()
    handle = iframe.element_handle().content_frame()
    x, y = handle.evaluate(
        """(code) => {
            let found = null;
            window.map.eachLayer((l) => {
                if (l.feature && l.feature.properties.code === code) { found = l; }
            });
            const p = window.map.latLngToContainerPoint(found.getCenter());
            const r = document.getElementById('map_div').getBoundingClientRect();
            return [p.x + r.left, p.y + r.top];
        }""",
        code,
    )
    return box["x"] + x, box["y"] + y


def test_choropleth_draws_offline_with_only_tile_requests_leaving(map_app, offline_page):
    from cbs_ingest.demo import make_demo

    page, blocked, dialogs = offline_page
    frame, seconds = _wait_for_map(page, f"{map_app}/?basemap=pdok-grijs")
    assert frame.locator("path.leaflet-interactive").count() == N_DEMO_BUURTEN
    print(f"choropleth drawn {seconds:.1f} s after navigation")

    legend = frame.locator(".stapel-legend")
    assert "Woningen van een corporatie (%)" in legend.inner_text()
    assert "geen gegevens / onderdrukt" in legend.inner_text()
    # Tiles cannot load offline: the note says so, the map is still there.
    frame.locator(".stapel-basemap-note").wait_for(state="visible", timeout=10_000)
    assert frame.locator(".stapel-basemap-note").inner_text() == "Achtergrondkaart niet beschikbaar"

    buurten = make_demo()["buurt"]
    plain = buurten.iloc[8:]  # not the hostile, suppressed or stacking rows of map_only.py
    target = plain[plain["pct_corporation_owned"].notna()].iloc[0]
    page.mouse.move(*_area_point(page, target["code"]))
    tooltip = frame.locator(".stapel-tooltip")
    tooltip.wait_for(state="visible", timeout=5_000)
    text = tooltip.inner_text()
    assert target["name"] in text
    assert f"{int(target['pct_corporation_owned'])}%" in text

    # A hostile name is shown as text, never run or parsed as HTML.
    hostile_code = buurten.iloc[1]["code"]
    page.mouse.move(*_area_point(page, hostile_code))
    frame.locator(".stapel-tooltip", has_text="<img src=x onerror=alert(1)>").wait_for(
        timeout=5_000
    )
    assert frame.locator(".stapel-tooltip img").count() == 0
    assert dialogs == []

    # Clicking an area reaches the app through st_folium's return value.
    page.mouse.click(*_area_point(page, target["code"]))
    page.get_by_text(f"Aangeklikt gebied: {target['code']}").wait_for(timeout=15_000)

    assert blocked, "the PDOK basemap was selected, so tile requests were expected"
    strays = [url for url in blocked if not PDOK_TILE.match(url)]
    assert strays == [], f"requests other than basemap tiles left the machine: {strays}"


def test_without_basemap_nothing_leaves_the_machine(map_app, offline_page):
    page, blocked, dialogs = offline_page
    frame, _ = _wait_for_map(page, f"{map_app}/?basemap=none")
    assert frame.locator("path.leaflet-interactive").count() == N_DEMO_BUURTEN
    assert frame.locator(".stapel-legend").is_visible()
    # Leaflet's own stylesheet came from the app: its control classes are styled.
    position = frame.locator(".leaflet-control-zoom").evaluate("e => getComputedStyle(e).float")
    assert position == "left"
    assert frame.locator(".stapel-basemap-note").count() == 0
    assert blocked == []
    assert dialogs == []
