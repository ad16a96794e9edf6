"""Dordrecht in a fresh area store, and ``stapelkaart app`` on it in Chromium, offline.

Used by the browser tests of the trend parts: Dordrecht's KWB 2024 and its real
social-domain series (the dumps of ``tests/fixtures/real``, served by the fake CBS
server) are stored once; the app then starts with CBS and PDOK at a closed port, so
whatever it shows can only come from the store.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from _browser import chromium, free_port, offline_context, serve
from _real import FIXTURE_RAW
from fake_cbs_series import series_tables_from_dumps

OFFLINE = "http://127.0.0.1:9"


def store_dordrecht(cbs_server: Any, cbs_gpkg: Path, data_dir: Path) -> Path:
    """Dordrecht's KWB 2024 and its Wmo, provisions and youth-care series, stored."""
    import cbs_ingest
    from cbs_ingest.series_load import load_series

    cbs_ingest.load(2024, ["GM0505"], geometry_file=cbs_gpkg)
    cbs_server.tables.update(series_tables_from_dumps(FIXTURE_RAW))
    for theme, first in (("wmo", 2016), ("voorzieningen", 2016), ("jeugdzorg", 2017)):
        load_series(theme, first, 2024, ["GM0505"])
    return data_dir


@contextmanager
def offline_app_page(data_dir: Path, tmp_path: Path, query: str) -> Iterator[tuple[Any, list]]:
    """The app on ``data_dir`` with CBS and PDOK closed, a page opened at ``?query``.

    Yields the page and the list of requests the offline browser context blocked.
    """
    port = free_port()
    env = {
        "STAPELKAART_DATA_DIR": str(data_dir),
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
        page.goto(f"{base}/?{query}")
        yield page, blocked
        context.close()
