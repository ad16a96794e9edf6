"""In Chromium: the map of a real gemeente shows the change layer with its legend.

Dordrecht's KWB 2024 and its Wmo series 2016-2024 (the real dumps of
``tests/fixtures/real``, served by the fake CBS server) are put in a fresh area store;
``stapelkaart app`` then starts on that store with CBS and PDOK at a closed port, so the
change can only come from the store. The link names the layer, theme and start year.
"""

from __future__ import annotations

import sys

import pytest
from _browser import FOLIUM_IFRAME, chromium, free_port, offline_context, require_browser, serve
from _real import FIXTURE_RAW
from fake_cbs_series import series_tables_from_dumps

import cbs_ingest
from cbs_ingest.series_load import load_series
from geo_app.mapview.change import CHANGE_COLOURS

pytestmark = [pytest.mark.browser, pytest.mark.real_data]

OFFLINE = "http://127.0.0.1:9"
N_WIJKEN = 13  # Dordrecht's wijken in KWB 2024


@pytest.fixture
def stored_dordrecht(cbs_server, cbs_gpkg, tmp_path):
    cbs_ingest.load(2024, ["GM0505"], geometry_file=cbs_gpkg)
    cbs_server.tables.update(series_tables_from_dumps(FIXTURE_RAW))
    for theme, first in (("wmo", 2016), ("voorzieningen", 2016), ("jeugdzorg", 2017)):
        load_series(theme, first, 2024, ["GM0505"])
    return tmp_path / "data"  # the cbs_server fixture's data directory


def _wait_for_legend(page, text: str) -> None:
    page.wait_for_function(
        """([sel, n, text]) => {
            const f = document.querySelector(sel);
            const d = f && f.contentDocument;
            if (!d) return false;
            const legend = d.querySelector('.stapel-legend');
            return d.querySelectorAll('path.leaflet-interactive').length >= n &&
                legend !== null && legend.innerText.includes(text);
        }""",
        arg=[FOLIUM_IFRAME, N_WIJKEN, text],
        timeout=90_000,
    )


def test_dordrecht_map_shows_the_change_since_2016_with_legend_and_outline(
    stored_dordrecht, tmp_path
):
    require_browser()
    port = free_port()
    env = {
        "STAPELKAART_DATA_DIR": str(stored_dordrecht),
        "STAPELKAART_CBS_URL": OFFLINE,
        "STAPELKAART_PDOK_URL": OFFLINE,
        "STAPELKAART_HTTP_RETRIES": "1",
    }
    command = [sys.executable, "-m", "geo_app", "app", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true"]  # fmt: skip
    log = tmp_path / "streamlit.log"
    with (
        serve(command, cwd=tmp_path, env=env, log=log, port=port) as base,
        chromium() as browser,
    ):
        context, blocked = offline_context(browser, {"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto(
            f"{base}/?gm=GM0505&year=2024&level=wijk&layer=verandering&van=2016&thema=wmo&basemap=none"
        )
        _wait_for_legend(page, "Verandering sinds 2016")
        frame = page.frame_locator(FOLIUM_IFRAME)
        legend = frame.locator(".stapel-legend").inner_text()
        assert "(vrijwel gelijk)" in legend and "geen vergelijking" in legend
        assert "Wmo-cliënten per 1.000 inwoners, 2016 → 2024" in legend
        assert "Oplopend" not in legend  # the signal is off by default
        fills = frame.locator("path.leaflet-interactive").evaluate_all(
            "ps => ps.map(p => p.getAttribute('fill'))"
        )
        coloured = [f for f in fills if f and f.upper() in CHANGE_COLOURS]
        hatched = [f for f in fills if f == "url(#stapel-hatch)"]
        assert len(coloured) >= 10 and hatched  # compared wijken, and those that are not
        assert page.get_by_text("Verandering sinds 2016").first.is_visible()
        # opting in to the signal outlines the rising wijken, with a legend row
        page.get_by_text("Omlijn gebieden met het signaal 'oplopend'").click()
        _wait_for_legend(page, "Oplopend (signaal)")
        outlined = frame.locator('path.leaflet-interactive[stroke="#000000"]').count()
        assert outlined >= 1
        page.screenshot(path=str(tmp_path / "change_map.png"))
        print(f"\nscreenshot: {tmp_path / 'change_map.png'}")
        context.close()
    assert not blocked
