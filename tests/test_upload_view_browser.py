"""The upload piece in a real headless Chromium: hostile files, confirmation, kept state.

A tiny Streamlit page with :func:`geo_app.views.upload_view.render_upload` is written
to a temporary folder and started with ``python -m streamlit run``; Playwright
uploads files through the real file input. Every request that is not for
127.0.0.1 is aborted.
"""

from __future__ import annotations

import pytest
from _browser import chromium, free_port, offline_context, require_browser, serve, streamlit_command

pytestmark = pytest.mark.browser

NASTY = "<img src=x onerror=alert(1)>"

PAGE = """
import streamlit as st

from geo_app.views.upload_view import render_upload

confirmed = render_upload(level="buurt", gemeentecode="GM9999",
                          known_codes=[f"BU9999000{i}" for i in range(6)])
st.text("bevestigd: " + ("nee" if confirmed is None else ",".join(confirmed.frame["code"])))
"""


@pytest.fixture(scope="module")
def upload_app(tmp_path_factory):
    """Start the upload page; yield its URL."""
    require_browser()
    folder = tmp_path_factory.mktemp("upload_app")
    (folder / "upload_page.py").write_text(PAGE, encoding="utf-8")
    port = free_port()
    command = streamlit_command("upload_page.py", port)
    with serve(command, cwd=folder, env={}, log=folder / "streamlit.log", port=port) as base:
        yield base


@pytest.fixture
def page(upload_app):
    with chromium() as browser:
        context, blocked = offline_context(browser, {"width": 1200, "height": 1400})
        dialogs: list[str] = []
        tab = context.new_page()
        tab.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        tab.goto(upload_app)
        tab.get_by_text("bevestigd: nee").wait_for(timeout=30_000)
        yield tab, dialogs, blocked
        context.close()


def _upload(tab, name: str, data: bytes) -> None:
    tab.locator("input[type=file]").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": data}
    )


def test_hostile_file_is_refused_shown_as_text_and_runs_nothing(page):
    tab, dialogs, blocked = page
    data = (
        f"buurtcode;wmo\nBU99990000;=cmd|' /C calc'!A0\n{NASTY};5\n"
        "BU99990001;<script>alert(2)</script>\n"
    ).encode()
    _upload(tab, f"{NASTY}.csv", data)
    tab.get_by_text("Het bestand kan niet gebruikt worden").wait_for(timeout=30_000)
    # The cell text and the message quoting it are shown as text in the tables.
    cells = tab.locator("[data-testid=stDataFrame] [role=gridcell]", has_text=NASTY)
    cells.first.wait_for(state="attached", timeout=10_000)
    assert cells.count() >= 2  # the preview cell and the message quoting it
    # The uploader shows the (shortened) file name as text.
    assert tab.get_by_text("<img sr").count() >= 1
    assert tab.locator("img[src='x']").count() == 0
    assert tab.locator("script", has_text="alert(2)").count() == 0
    tab.wait_for_timeout(500)  # give an injected handler the chance to fire
    assert dialogs == []
    assert tab.get_by_role("button", name="Gegevens gebruiken").count() == 0
    assert blocked == []


def test_confirmed_data_survive_a_failed_upload(page):
    tab, dialogs, _ = page
    _upload(tab, "wmo.csv", b"buurtcode;wmo\nBU99990000;40\nBU99990001;25\n")
    tab.get_by_text("Het bestand is gecontroleerd").wait_for(timeout=30_000)
    tab.get_by_role("button", name="Gegevens gebruiken").click()
    tab.get_by_text("bevestigd: BU99990000,BU99990001").wait_for(timeout=30_000)
    _upload(tab, "personen.csv", b"code;bsn;geboortedatum\nBU99990000;123456782;01-01-1980\n")
    tab.get_by_text("Het bestand kan niet gebruikt worden").wait_for(timeout=30_000)
    from playwright.sync_api import expect

    # After the run settles (no stale elements left), the confirmed data are still there.
    tab.wait_for_function("document.querySelectorAll('[data-stale=\"true\"]').length === 0")
    assert tab.get_by_text("bevestigd: nee").count() == 0
    expect(tab.get_by_text("bevestigd: BU99990000,BU99990001")).to_be_visible(timeout=10_000)
    expect(tab.get_by_text("In gebruik: 2 gebieden")).to_be_visible(timeout=10_000)
    assert tab.get_by_role("button", name="Gegevens gebruiken").count() == 0
    assert dialogs == []
