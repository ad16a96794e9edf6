"""End to end: the whole app in headless Chromium, started as a user would (``stapelkaart app``).

The app runs on the demo gemeente in an empty temporary data directory, with
CBS and PDOK pointed at a closed local port. Playwright aborts and records
every request that is not for 127.0.0.1; with basemap "none" there must be
none at all. One app process serves every step; screenshots go to a
temporary folder (its path is printed) so a person can judge them.
"""

from __future__ import annotations

import sys
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from _browser import (
    FOLIUM_IFRAME,
    chromium,
    free_port,
    offline_context,
    require_browser,
    serve,
    wait_complete,
)
from test_offline_map_browser import _area_point

pytestmark = pytest.mark.browser

N_DEMO_BUURTEN = 60
AREA = "BU99990103"  # Zwanenkade, an ordinary demo buurt
AREA_NAME = "Zwanenkade"
SELECTED_COLOUR = "#E6007E"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """Start ``stapelkaart app`` on an empty data directory; yield its base URL."""
    require_browser()
    folder = tmp_path_factory.mktemp("app_browser")
    port = free_port()
    env = {
        "STAPELKAART_DATA_DIR": str(folder / "data"),
        "STAPELKAART_CBS_URL": "http://127.0.0.1:9",
        "STAPELKAART_PDOK_URL": "http://127.0.0.1:9",
    }
    command = [sys.executable, "-m", "geo_app", "app", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true"]  # fmt: skip
    with serve(command, cwd=folder, env=env, log=folder / "streamlit.log", port=port) as base:
        yield base


@pytest.fixture(scope="module")
def browser_context():
    """A browser context that aborts and records every request not for 127.0.0.1."""
    with chromium() as browser:
        context, blocked = offline_context(browser, {"width": 1400, "height": 1000})
        yield context, blocked
        context.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    folder = tmp_path_factory.mktemp("app_screenshots")
    print(f"\nscreenshots: {folder}")
    return folder


def _wait_for_map(page, legend_text: str, timeout: float = 30_000) -> None:
    """Wait until all demo buurten are drawn and the legend shows ``legend_text``."""
    page.wait_for_function(
        """([sel, n, text]) => {
            const f = document.querySelector(sel);
            const d = f && f.contentDocument;
            if (!d) return false;
            const legend = d.querySelector('.stapel-legend');
            return d.querySelectorAll('path.leaflet-interactive').length >= n &&
                legend !== null && legend.innerText.includes(text);
        }""",
        arg=[FOLIUM_IFRAME, N_DEMO_BUURTEN, legend_text],
        timeout=timeout,
    )


def _selected_outlines(page) -> int:
    return page.frame_locator(FOLIUM_IFRAME).locator(f'path[stroke="{SELECTED_COLOUR}"]').count()


def _legend_clearance(page) -> dict:
    """The legend's box, the box of all drawn areas, and whether they overlap (iframe pixels)."""
    return (
        page.frame_locator(FOLIUM_IFRAME)
        .locator("body")
        .evaluate(
            """body => {
            const box = e => e.getBoundingClientRect();
            const legend = box(body.querySelector('.stapel-legend'));
            const areas = [...body.querySelectorAll('path.leaflet-interactive')].map(box);
            const all = {
                left: Math.min(...areas.map(r => r.left)), top: Math.min(...areas.map(r => r.top)),
                right: Math.max(...areas.map(r => r.right)),
                bottom: Math.max(...areas.map(r => r.bottom)),
            };
            const overlap = all.right > legend.left && all.left < legend.right &&
                all.bottom > legend.top && all.top < legend.bottom;
            return {legend: [legend.left, legend.top, legend.right, legend.bottom],
                    areas: [all.left, all.top, all.right, all.bottom], overlap: overlap};
        }"""
        )
    )


def _fill(page, clearance: dict) -> float:
    """How much of the room it may use the gemeente fills, in its tighter direction.

    The room is the frame, less the legend's side when the areas keep clear of it.
    """
    frame = page.frame_locator(FOLIUM_IFRAME)
    width, height = frame.locator("body").evaluate(
        "b => [b.querySelector('.leaflet-container').clientWidth,"
        " b.querySelector('.leaflet-container').clientHeight]"
    )
    fit = frame.locator(".stapel-legend").get_attribute("data-fit")
    left, top, right, bottom = clearance["legend"]
    room_w = (left if fit == "left" else width) - 12
    room_h = (top if fit == "above" else height) - 12
    a_left, a_top, a_right, a_bottom = clearance["areas"]
    return max((a_right - a_left) / room_w, (a_bottom - a_top) / room_h)


def _clear_of_legend(page, timeout: float = 5.0) -> dict:
    """Wait until the legend and the areas do not overlap (the refit may still be animating)."""
    deadline = time.monotonic() + timeout
    clearance = _legend_clearance(page)
    while clearance["overlap"] and time.monotonic() < deadline:
        time.sleep(0.1)
        clearance = _legend_clearance(page)
    return clearance


def _params(page) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(page.url).query).items()}


def _wait_param(page, name: str, value: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while _params(page).get(name) != value:
        if time.monotonic() > deadline:
            raise AssertionError(f"URL has no {name}={value}: {page.url}")
        page.wait_for_timeout(100)


def _pick(page, label: str, option: str, *, sidebar: bool = True) -> None:
    """Choose ``option`` in the selectbox labelled ``label``."""
    scope = page.get_by_test_id("stSidebar") if sidebar else page.get_by_test_id("stMain")
    box = scope.get_by_test_id("stSelectbox").filter(has_text=label)
    box.locator("input").click()
    page.get_by_role("option", name=option, exact=True).click()


def test_app_end_to_end(app_url, browser_context, shots):
    context, blocked = browser_context
    page = context.new_page()

    # 1. First map, on demo data, with no basemap.
    started = time.monotonic()
    page.goto(f"{app_url}/?basemap=none")
    _wait_for_map(page, "Stapelingsscore")
    print(f"first map drawn {time.monotonic() - started:.1f} s after navigation")
    page.get_by_text("Fictieve voorbeelddata").wait_for()
    # The app reruns once the whole analysis is done and draws the map again: act after that.
    wait_complete(page)
    _wait_for_map(page, "Stapelingsscore")
    # The legend keeps clear of the areas, and shows no selection row while none is selected.
    frame = page.frame_locator(FOLIUM_IFRAME)
    frame.locator(".stapel-legend[data-fit]").wait_for(state="attached", timeout=30_000)
    page.screenshot(path=shots / "0_complete.png")
    assert frame.locator(".stapel-legend").get_attribute("data-fit") in ("left", "above")
    page.screenshot(path=shots / "1_map.png")
    clearance = _clear_of_legend(page)
    assert not clearance["overlap"], clearance
    assert _fill(page, clearance) >= 0.8, clearance  # the gemeente fills its frame
    legend = frame.locator(".stapel-legend")
    assert "Geselecteerd gebied" not in legend.inner_text()
    assert (
        "Fictieve voorbeelddata (Stapelkaart)"
        in frame.locator(".leaflet-control-attribution").inner_text()
    )
    # The legend folds away and back with its button.
    toggle = legend.get_by_role("button", name="Legenda verbergen")
    toggle.click()
    folded = legend.get_by_role("button", name="Legenda tonen")
    assert folded.get_attribute("aria-expanded") == "false"
    assert "Stapelgebied" not in legend.inner_text() and "Stapelingsscore" in legend.inner_text()
    page.screenshot(path=shots / "1b_legend_folded.png")
    folded.click()
    legend.get_by_text("Stapelgebied").wait_for()

    # 2. Click a buurt: it becomes the selected area, outlined on the map.
    page.mouse.click(*_area_point(page, AREA))
    _wait_param(page, "area", AREA)
    page.get_by_test_id("stMain").get_by_text(f"{AREA_NAME} ({AREA})").wait_for()
    page.wait_for_function(
        "([sel, c]) => document.querySelector(sel).contentDocument"
        '.querySelectorAll(`path[stroke="${c}"]`).length > 0',
        arg=[FOLIUM_IFRAME, SELECTED_COLOUR],
        timeout=10_000,
    )
    frame.locator(".stapel-legend").get_by_text("Geselecteerd gebied").wait_for(timeout=10_000)

    # 3. Another indicator: the map is drawn again with its legend; the outline stays.
    _pick(page, "Kaartlaag", "Huurwoningen (%)")
    _wait_for_map(page, "Huurwoningen (%)")
    _wait_param(page, "layer", "pct_rental")
    assert _selected_outlines(page) == 1  # the one selected buurt
    page.screenshot(path=shots / "2_indicator_and_selection.png")

    # 4. The profile shows the clicked buurt.
    page.get_by_role("tab", name="Gebiedsprofiel").click()
    page.get_by_role("heading", name=f"{AREA_NAME} ({AREA})").wait_for()
    page.get_by_text("Alle indicatoren").wait_for()
    page.get_by_text("er bestaat geen landelijke referentie").wait_for()
    page.screenshot(path=shots / "3_profile.png")
    page.get_by_test_id("stVegaLiteChart").first.scroll_into_view_if_needed()
    page.screenshot(path=shots / "3b_profile_chart.png")

    # 5. A setting changes the URL: the number of clusters, by keyboard on its slider.
    k_slider = (
        page.get_by_test_id("stSidebar")
        .get_by_test_id("stSlider")
        .filter(has_text="Aantal clusters")
        .get_by_role("slider")
    )
    k_slider.focus()
    k_slider.press("ArrowRight")
    _wait_param(page, "k", "2")
    page.get_by_text("Gebaseerd op").wait_for()  # the profile is drawn again
    shared = page.url

    # 6. The shared link reopens identically in a new page.
    other = context.new_page()
    other.goto(shared)
    other.get_by_role("heading", name=f"{AREA_NAME} ({AREA})").wait_for(timeout=30_000)
    assert other.get_by_role("tab", name="Gebiedsprofiel").get_attribute("aria-selected") == "true"
    reopened = (
        other.get_by_test_id("stSidebar")
        .get_by_test_id("stSlider")
        .filter(has_text="Aantal clusters")
        .get_by_role("slider")
    )
    assert reopened.get_attribute("aria-valuetext") == "2"
    layer = (
        other.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").filter(has_text="Kaartlaag")
    )
    shown = layer.evaluate(
        "e => e.innerText + ' ' + [...e.querySelectorAll('input')].map(i => i.value).join(' ')"
    )
    assert "Huurwoningen (%)" in shown, shown
    assert _params(other) == _params(page)
    other.close()

    # 7. Compare two areas side by side.
    page.get_by_role("tab", name="Vergelijken").click()
    compare = page.get_by_test_id("stMain").get_by_test_id("stMultiSelect")
    picked: list[str] = []
    for name, code in ((AREA_NAME, AREA), ("Kastanjepark", "BU99990100")):
        compare.locator("input").click()
        compare.locator("input").fill(name)
        page.get_by_role("option", name=f"{name} ({code})").click()
        picked.append(code)
        _wait_param(page, "cmp", ",".join(picked))  # the rerun is done before the next pick
    page.keyboard.press("Escape")
    grid = page.get_by_test_id("stMain").get_by_test_id("stDataFrame").first
    grid.locator("[role=columnheader]", has_text="Kastanjepark").wait_for(
        state="attached", timeout=15_000
    )
    page.screenshot(path=shots / "4_compare.png")
    page.get_by_test_id("stVegaLiteChart").first.scroll_into_view_if_needed()
    page.screenshot(path=shots / "4b_compare_chart.png")

    # 8. English: the page and the map speak English.
    page.get_by_role("tab", name="Vergelijken").wait_for()
    page.get_by_test_id("stSidebar").get_by_text("English", exact=True).click()
    page.get_by_role("tab", name="Compare").wait_for()
    _wait_param(page, "lang", "en")
    page.get_by_role("tab", name="Map").click()
    _wait_for_map(page, "no data / suppressed")
    legend = page.frame_locator(FOLIUM_IFRAME).locator(".stapel-legend").inner_text()
    assert "Selected area" in legend and "geen gegevens" not in legend
    assert "Rented dwellings (%)" in legend  # the indicator name is English too
    main = page.get_by_test_id("stMain").inner_text()
    assert "Selected area" in main and "Fictitious example data" in main
    page.screenshot(path=shots / "5_english_map.png")
    page.get_by_role("tab", name="Area profile").click()
    page.get_by_text("All indicators").wait_for()
    page.screenshot(path=shots / "6_english_profile.png")

    # A narrow window: the map opens one zoom level out (as before), and the legend is kept
    # clear once Leaflet's first zoom animation has ended.
    narrow = context.new_page()
    narrow.set_viewport_size({"width": 800, "height": 900})
    narrow.goto(f"{app_url}/?basemap=none")
    _wait_for_map(narrow, "Stapelingsscore")
    narrow_frame = narrow.frame_locator(FOLIUM_IFRAME)
    narrow_frame.locator(".stapel-legend[data-fit]").wait_for(state="attached", timeout=30_000)
    assert narrow_frame.locator(".stapel-legend").get_attribute("data-fit") in ("left", "above")
    clearance = _clear_of_legend(narrow)
    assert not clearance["overlap"], clearance
    narrow.screenshot(path=shots / "7_narrow_map.png")
    narrow.close()

    # Nothing left the machine: no fonts, no CDN, no tiles (basemap "none").
    assert blocked == [], f"requests left the machine: {blocked}"


def test_doubtful_areas_are_dotted_once_the_whole_analysis_is_done(app_url, browser_context):
    from cbs_ingest import load
    from models import run_analysis

    table = run_analysis(load(2024, ["GM9999"]).frames["buurt"], permutations=0).table
    flagged = table["stacking_flag"].astype(bool)
    kind = table["stability_class"]
    expected = int(((kind == "borderline") | (flagged & (kind == "rarely"))).sum())
    assert expected > 0
    context, _ = browser_context
    page = context.new_page()
    page.goto(f"{app_url}/?basemap=none")
    _wait_for_map(page, "twijfelgeval", timeout=90_000)  # after the rank uncertainty
    frame = page.frame_locator(FOLIUM_IFRAME)
    assert frame.locator('path[stroke-dasharray="0.5 6"]').count() == expected
    page.close()
