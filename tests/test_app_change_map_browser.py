"""In Chromium: the map of a real gemeente shows the change layer with its legend.

Dordrecht's KWB 2024 and its Wmo series 2016-2024 (the real dumps of
``tests/fixtures/real``, served by the fake CBS server) are put in a fresh area store;
``stapelkaart app`` then starts on that store with CBS and PDOK at a closed port, so the
change can only come from the store. The link names the layer, theme and start year.
"""

from __future__ import annotations

import pytest
from _browser import FOLIUM_IFRAME, require_browser
from _dordrecht_app import offline_app_page

from geo_app.mapview.change import CHANGE_COLOURS

pytestmark = [pytest.mark.browser, pytest.mark.real_data]

N_WIJKEN = 13  # Dordrecht's wijken in KWB 2024


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
    query = "gm=GM0505&year=2024&level=wijk&layer=verandering&van=2016&thema=wmo&basemap=none"
    with offline_app_page(stored_dordrecht, tmp_path, query) as (page, blocked):
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
    assert not blocked
