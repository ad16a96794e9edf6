"""End to end: the map draws in headless Chromium with every non-loopback request blocked.

A tiny Streamlit page (``tests/apps/map_only.py``) renders the demo gemeente with
``build_map`` through ``streamlit_folium.st_folium``. It is copied into an
empty temporary folder and started with ``python -m streamlit run``; when it
runs, it puts Leaflet into the ``static/`` folder next to itself with
``ensure_assets``, as ``geo_app/app.py`` does. Playwright aborts every request that
is not for 127.0.0.1 and records it.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest
from _browser import (
    FOLIUM_IFRAME,
    chromium,
    free_port,
    offline_context,
    require_browser,
    serve,
    streamlit_command,
)

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
PDOK_TILE = re.compile(
    r"^https://service\.pdok\.nl/brt/achtergrondkaart/wmts/v2_0/grijs/EPSG:3857/\d+/\d+/\d+\.png$"
)
N_DEMO_BUURTEN = 60


@pytest.fixture(scope="module")
def map_app(tmp_path_factory):
    """Start the map-only page; yield its base URL."""
    require_browser()
    folder = tmp_path_factory.mktemp("map_app")
    shutil.copy(ROOT / "tests" / "apps" / "map_only.py", folder / "map_only.py")
    assert not (folder / "static").exists()
    port = free_port()
    command = streamlit_command("map_only.py", port, "--server.enableStaticServing", "true")
    with serve(command, cwd=folder, env={}, log=folder / "streamlit.log", port=port) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    with chromium() as running:
        yield running


@pytest.fixture
def offline_page(browser):
    """A page on which every request not for 127.0.0.1 is aborted and recorded."""
    context, blocked = offline_context(browser, {"width": 1200, "height": 900})
    dialogs: list[str] = []
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
    # the legend control is added after the areas: wait for it rather than race it
    frame.locator(".stapel-legend").wait_for(state="visible", timeout=10_000)
    # Leaflet's own stylesheet came from the app: its control classes are styled.
    position = frame.locator(".leaflet-control-zoom").evaluate("e => getComputedStyle(e).float")
    assert position == "left"
    assert frame.locator(".stapel-basemap-note").count() == 0
    assert blocked == []
    assert dialogs == []


_FILL = """() => {
    const box = e => e.getBoundingClientRect();
    const map = document.querySelector('.leaflet-container');
    const legend = document.querySelector('.stapel-legend');
    const fit = legend.getAttribute('data-fit');
    const areas = [...document.querySelectorAll('path.leaflet-interactive')].map(box);
    const width = Math.max(...areas.map(r => r.right)) - Math.min(...areas.map(r => r.left));
    const height = Math.max(...areas.map(r => r.bottom)) - Math.min(...areas.map(r => r.top));
    const m = box(map), l = box(legend);
    const roomW = (fit === 'left' ? l.left - m.left : m.width) - 12;
    const roomH = (fit === 'above' ? l.top - m.top : m.height) - 12;
    return {fill: Math.max(width / roomW, height / roomH), fit: fit};
}"""


@pytest.mark.parametrize("scale", [1.0, 1.19, 1.41, 1.68])
def test_the_gemeente_fills_its_frame_whatever_its_size(map_app, offline_page, scale):
    """Whole zoom levels would leave up to half the frame empty; quarter steps at most 16%."""
    page, _, _ = offline_page
    frame, _ = _wait_for_map(page, f"{map_app}/?basemap=none&scale={scale}")
    frame.locator(".stapel-legend[data-fit]").wait_for(state="attached", timeout=10_000)
    page.wait_for_timeout(300)  # a refit after the frame's last resize
    result = frame.locator("body").evaluate(_FILL)
    assert result["fill"] >= 0.8, result
