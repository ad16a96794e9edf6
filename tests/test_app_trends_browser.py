"""In Chromium: the profile of a real Dordrecht wijk shows the trend charts.

Dordrecht's KWB 2024 and its social-domain series (the real dumps of
``tests/fixtures/real``, served by the fake CBS server) are put in a fresh area store;
then ``stapelkaart app`` starts on that store with CBS and PDOK at a closed port, so
the charts can only come from the store.
"""

from __future__ import annotations

import pytest
from _browser import require_browser
from _dordrecht_app import offline_app_page

pytestmark = [pytest.mark.browser, pytest.mark.real_data]


def test_profile_of_a_dordrecht_wijk_shows_the_trend_charts(stored_dordrecht, tmp_path):
    require_browser()
    query = "gm=GM0505&year=2024&level=wijk&tab=profiel&area=WK050501"
    with offline_app_page(stored_dordrecht, tmp_path, query) as (page, blocked):
        page.get_by_text("Ontwikkeling over de jaren (2016–2024)").wait_for(timeout=90_000)
        charts = page.locator("[data-testid='stVegaLiteChart']")
        # the percentile bars and one trend chart per theme (Wmo, jeugdzorg, voorzieningen)
        page.wait_for_function(
            "document.querySelectorAll(\"[data-testid='stVegaLiteChart'] canvas, "
            "[data-testid='stVegaLiteChart'] svg.marks\").length >= 4",
            timeout=30_000,
        )
        assert charts.count() >= 4
        body = page.inner_text("body")
        assert "Wmo-cliënten per 1.000 inwoners stijgt" in body
        assert "Oplopend: de aantallen" in body
        page.get_by_text("Ontwikkeling over de jaren (2016–2024)").scroll_into_view_if_needed()
        page.screenshot(path=str(tmp_path / "trend_profile.png"))
        print(f"\nscreenshot: {tmp_path / 'trend_profile.png'}")
    assert not blocked
