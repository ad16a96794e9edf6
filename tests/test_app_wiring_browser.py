"""The whole app in headless Chromium: upload a bad and a good file, then download every export.

The app (``geo_app/app.py``) is started once for the module with an empty data
folder (so it opens on the demo gemeente) and a roles file whose local role has
a hostile label (``=HYPERLINK(...);=1+1``). The label travels into every
export's settings, which shows that a formula in exported text is neutralised.
Every request that is not for 127.0.0.1 is aborted.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest
from _browser import (
    ROOT,
    chromium,
    free_port,
    offline_context,
    require_browser,
    serve,
    streamlit_command,
)

pytestmark = pytest.mark.browser

HOSTILE_LABEL = '=HYPERLINK("http://evil.example");=1+1'
ROLES = f"""
[access]
local_role = "gemeente"

[access.roles.gemeente]
label = '{HOSTILE_LABEL}'
levels = ["buurt", "wijk", "gemeente"]
indicators = "*"
export_levels = ["buurt", "wijk"]
export_indicators = "*"
datasets = "*"
upload = true
"""
FIRST = "BU99990000"  # its Wmo count (0) is below the threshold in GOOD


def _good() -> bytes:
    from cbs_ingest.demo import make_demo

    codes = list(make_demo()["buurt"]["code"])
    lines = ["buurtcode;wmo;inwoners"]
    lines += [f"{c};{(i * 7) % 40};{300 + i}" for i, c in enumerate(codes)]
    return "\n".join(lines).encode()


#: Words that would tell why a cell is hidden; no download or screen may contain them.
REASON_WORDS = re.compile(r"primai?r|secundai?r|secondary|primary", re.IGNORECASE)
BAD = b"buurtcode;wmo\nBU99990000;-3\nBU12345678;12\n"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """Start the real app once; yield its base URL."""
    require_browser()
    folder = tmp_path_factory.mktemp("wiring_app")
    roles = folder / "rollen.toml"
    roles.write_text(ROLES, encoding="utf-8")
    port = free_port()
    env = {"STAPELKAART_DATA_DIR": str(folder / "data"), "STAPELKAART_ROLES": str(roles)}
    command = streamlit_command(ROOT / "geo_app" / "app.py", port)
    log = folder / "streamlit.log"
    with serve(command, cwd=ROOT, env=env, log=log, port=port) as base:
        yield base
    assert "Traceback" not in log.read_text(errors="replace")


@pytest.fixture(scope="module")
def session(app_url):
    """One browser session for the module: a page on the Eigen data tab."""
    with chromium() as browser:
        context, blocked = offline_context(browser, {"width": 1400, "height": 1200})
        page = context.new_page()
        page.goto(f"{app_url}/?tab=data&area={FIRST}&basemap=none")
        page.locator("input[type=file]").wait_for(state="attached", timeout=60_000)
        yield page, blocked
        context.close()


def _upload(page, name: str, data: bytes) -> None:
    page.locator("input[type=file]").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": data}
    )


def _tab(page, label: str) -> None:
    page.get_by_role("tab", name=label).click()


def _download(page, label: str, tmp_path: Path) -> Path:
    button = page.get_by_role("button", name=label, exact=True)
    button.wait_for(timeout=30_000)
    with page.expect_download(timeout=30_000) as info:
        button.click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    return target


def test_1_bad_file_is_refused_in_dutch_and_nothing_is_joined(session):
    page, blocked = session
    _upload(page, "fout.csv", BAD)
    page.get_by_text("Het bestand kan niet gebruikt worden").wait_for(timeout=30_000)
    assert page.get_by_text("Er is niets opgeslagen").count() >= 1
    assert page.get_by_role("button", name="Gegevens gebruiken").count() == 0
    assert page.get_by_text("Gekoppeld als").count() == 0
    assert page.get_by_text("Traceback").count() == 0


def test_2_good_file_confirmed_adds_the_layer(session):
    page, _ = session
    _upload(page, "wmo.csv", _good())
    page.get_by_text("Het bestand is gecontroleerd: 60 gebieden").wait_for(timeout=30_000)
    page.get_by_role("button", name="Gegevens gebruiken").click()
    page.get_by_text("Gekoppeld als 'wmo': wmo per 1.000 inwoners").wait_for(timeout=30_000)
    page.get_by_text("Verborgen:").first.wait_for(timeout=10_000)
    # The sidebar offers the new layer; choose it and the map title follows.
    sidebar = page.locator("[data-testid=stSidebar]")
    sidebar.get_by_text("Kaartlaag").wait_for()
    layer_box = sidebar.locator("[data-testid=stSelectbox]").filter(has_text="Kaartlaag")
    layer_box.click()
    page.get_by_role("option", name="wmo per 1.000 inwoners").click()
    _tab(page, "Kaart")
    page.get_by_role("heading", name="wmo per 1.000 inwoners").wait_for(timeout=30_000)


def test_3_every_table_export_downloads_with_metadata(session, tmp_path):
    import geopandas as gpd
    from openpyxl import load_workbook

    from layers.export import read_csv_table

    page, blocked = session
    _tab(page, "Tabel")
    # The grid's own toolbar offers no CSV download (client.disableDataExport): only the
    # app's download buttons, which apply the role's export rules.
    grid = page.locator("[data-testid=stDataFrame]").first
    grid.hover()
    page.get_by_role("button", name="Search").first.wait_for(timeout=10_000)
    assert page.get_by_role("button", name="Download as CSV").count() == 0
    csv_path = _download(page, "CSV", tmp_path)
    text = csv_path.read_text(encoding="utf-8")
    assert "# bronnen.bron: Fictieve voorbeelddata" in text
    assert "verborgen" in text and "onderdrukte_cellen" in text and FIRST in text
    assert not REASON_WORDS.search(text)
    # The hostile label is in the settings; its ';=' fragment is neutralised.
    assert "HYPERLINK" in text and ";'=1+1" in text and ";=1+1" not in text
    table = read_csv_table(csv_path).set_index("code")
    assert "gem_wmo" in table.columns and table["gem_wmo"].isna()[FIRST]
    assert table["gem_wmo"].notna().sum() > 0

    xlsx = load_workbook(_download(page, "Excel (XLSX)", tmp_path))
    meta = xlsx["bronnen en instellingen"]
    rows = {r[0].value: r[1] for r in meta.iter_rows(min_row=2)}
    assert rows["instellingen.Rol"].value == HOSTILE_LABEL
    assert rows["instellingen.Rol"].data_type == "s" and rows["instellingen.Rol"].quotePrefix
    assert "verborgen" in rows["onderdrukking"].value
    assert not REASON_WORDS.search(str(rows["onderdrukking"].value))
    with zipfile.ZipFile(tmp_path / "stapelkaart_GM9999_2024_buurt.xlsx") as archive:
        assert not any(b"<f>" in archive.read(n) for n in archive.namelist() if "sheet" in n)

    geojson = json.loads(_download(page, "GeoJSON", tmp_path).read_text(encoding="utf-8"))
    assert geojson["stapelkaart"]["bronnen"]["jaar"] == "2024"
    assert "In deze gegevens" in geojson["stapelkaart"]["onderdrukking"]
    assert not REASON_WORDS.search(json.dumps(geojson["stapelkaart"], ensure_ascii=False))
    first = next(f for f in geojson["features"] if f["properties"]["code"] == FIRST)
    assert first["properties"]["gem_wmo"] is None

    gpkg = _download(page, "GeoPackage", tmp_path)
    layer = gpd.read_file(gpkg, layer="stapelkaart")
    assert len(layer) == 60 and layer.crs is not None
    assert layer.set_index("code")["gem_wmo"].isna()[FIRST]
    meta = gpd.read_file(gpkg, layer="bronnen_en_instellingen")
    assert "onderdrukking" in set(meta["onderdeel"])
    assert not REASON_WORDS.search(meta.to_csv())
    assert not blocked, blocked


def test_4_profile_html_download(session, tmp_path):
    page, blocked = session
    _tab(page, "Gebiedsprofiel")
    path = _download(page, "Afdrukbaar gebiedsprofiel (HTML)", tmp_path)
    html = path.read_text(encoding="utf-8")
    assert "<h1>Gebiedsprofiel Zeilveld</h1>" in html
    assert "Onderdrukt in dit gebied" in html and "gem_wmo" in html
    assert "HYPERLINK(&quot;http://evil.example&quot;)" in html  # escaped, never markup
    assert "Fictieve voorbeelddata" in html
    assert not blocked, blocked
