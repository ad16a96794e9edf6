"""In Chromium: the profile of a real Dordrecht wijk shows the trend charts.

Dordrecht's KWB 2024 and its social-domain series (the real dumps of
``tests/fixtures/real``, served by the fake CBS server) are put in a fresh area store;
then ``stapelkaart app`` starts on that store with CBS and PDOK at a closed port, so
the charts can only come from the store.
"""

from __future__ import annotations

import sys

import pytest
from _browser import chromium, free_port, offline_context, require_browser, serve
from _real import FIXTURE_RAW
from fake_cbs_series import series_tables_from_dumps

import cbs_ingest
from cbs_ingest.series_load import load_series

pytestmark = [pytest.mark.browser, pytest.mark.real_data]

OFFLINE = "http://127.0.0.1:9"


@pytest.fixture
def stored_dordrecht(cbs_server, cbs_gpkg, tmp_path):
    cbs_ingest.load(2024, ["GM0505"], geometry_file=cbs_gpkg)
    cbs_server.tables.update(series_tables_from_dumps(FIXTURE_RAW))
    for theme, first in (("wmo", 2016), ("voorzieningen", 2016), ("jeugdzorg", 2017)):
        load_series(theme, first, 2024, ["GM0505"])
    return tmp_path / "data"  # the cbs_server fixture's data directory


def test_profile_of_a_dordrecht_wijk_shows_the_trend_charts(stored_dordrecht, tmp_path):
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
        page.goto(f"{base}/?gm=GM0505&year=2024&level=wijk&tab=profiel&area=WK050501")
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
        context.close()
    assert not blocked
