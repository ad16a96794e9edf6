"""A minimal Streamlit page that shows the demo choropleth, for the offline browser test.

The test copies this file into a temporary folder and starts it with
``streamlit run``. Like ``geo_app/app.py``, the page puts Leaflet into the
``static/`` folder next to itself when it runs (after the server started).
Query parameters choose the basemap (``?basemap=none``) and enlarge the gemeente
(``?scale=1.4``).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from streamlit_folium import st_folium

from cbs_ingest.demo import make_demo
from geo_app.mapview import build_map, prepare_geometry
from geo_app.mapview.assets import ensure_assets

#: A buurt name that would run script if it were ever treated as HTML.
HOSTILE_NAME = "<img src=x onerror=alert(1)>"

st.set_page_config(page_title="Kaarttest", layout="wide")
ensure_assets(Path(__file__).resolve().parent / "static")
basemap = st.query_params.get("basemap", "pdok-grijs")

frames = make_demo()
scale = float(st.query_params.get("scale", "1"))
if scale != 1:  # the same gemeente, larger: another fit of the frame
    centre = frames["buurt"].union_all().centroid
    frames = {
        k: f.assign(geometry=f.geometry.scale(scale, scale, origin=centre))
        for k, f in frames.items()
    }
buurten = frames["buurt"].copy()
buurten.loc[buurten.index[1], "name"] = HOSTILE_NAME
wijken = frames["wijk"]
values = buurten.set_index("code")["pct_corporation_owned"]
fmap = build_map(
    prepare_geometry(buurten),
    values,
    title="Woningen van een corporatie",
    unit="percent",
    suppressed=[buurten["code"].iloc[2]],
    stacking=list(buurten["code"].iloc[5:8]),
    wijken=prepare_geometry(wijken),
    basemap=basemap,
)
result = st_folium(fmap, height=560, use_container_width=True, key="kaart")
clicked = ((result or {}).get("last_active_drawing") or {}).get("properties", {}).get("code")
st.write(f"Aangeklikt gebied: {clicked or 'geen'}")
