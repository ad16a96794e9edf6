"""Stapelkaart, the Streamlit app: ``streamlit run geo_app/app.py`` or ``stapelkaart app``.

The page is thin: the sidebar (``views.sidebar``) builds a context from the
settings, cached data and the cached analysis; each tab is a module of
``geo_app.views``. Only the open tab runs. Errors that Stapelkaart raises on purpose are
shown in Dutch, anything else as a short message without a traceback.
"""

from __future__ import annotations

import html
import logging

import streamlit as st

from cbs_ingest.errors import StapelkaartError
from geo_app.access.resolve import resolve
from geo_app.mapview import assets
from geo_app.session.context import Context, pop_notices, settings, write_url
from geo_app.session.i18n import t
from geo_app.session.state import TAB_IDS
from geo_app.views import about, compare, profile, table, upload
from geo_app.views import map as map_page
from geo_app.views.sidebar import build_context, language

_LOG = logging.getLogger("stapelkaart.app")

_TAB_KEYS = ("tab_map", "tab_profile", "tab_compare", "tab_table", "tab_upload", "tab_about")
_PAGES = (map_page, profile, compare, table, upload, about)


def _age(delta: object, lang: str) -> str:
    minutes = getattr(delta, "total_seconds", lambda: 0.0)() / 60
    if minutes < 90:
        return t("age_minutes", lang, n=f"{max(minutes, 1):.0f}")
    if minutes < 48 * 60:
        return t("age_hours", lang, n=f"{minutes / 60:.0f}")
    return t("age_days", lang, n=f"{minutes / 1440:.0f}")


_CSS = """<style>
.block-container { padding-top: 1.2rem; padding-bottom: 1rem; }
[data-testid="stSidebarHeader"] { height: 1rem; padding: 0.5rem; }
h1.sk-title { font-size: 1.9rem; margin: 0; padding: 0; color: #01689B; }
p.sk-sub { margin: 0 0 0.4rem 0; color: #444; }
</style>"""


def _header(ctx: Context) -> None:
    gemeente = html.escape(str(ctx.table["gemeentenaam"].iloc[0]))
    st.html(
        f'<h1 class="sk-title">{html.escape(t("app_title", ctx.lang))} · {gemeente} '
        f'<span style="font-weight:400;color:#555">{ctx.loaded.year}</span></h1>'
        f'<p class="sk-sub">{html.escape(ctx.t("app_subtitle"))}</p>'
    )


def _notices(ctx: Context) -> None:
    if ctx.loaded.demo:
        st.warning(ctx.t("demo_notice"), icon=":material/science:")
    if ctx.loaded.stale:
        st.warning(
            ctx.t("stale_notice", age=_age(ctx.loaded.cache_age, ctx.lang)),
            icon=":material/cloud_off:",
        )
    # the first map's run reruns once the analysis is complete: keep the notice for it
    rejected = pop_notices(keep=ctx.complete is not None)
    if rejected:
        st.info(ctx.t("params_notice", names=", ".join(rejected)), icon=":material/link_off:")
    if ctx.upload_names:
        st.info(
            ctx.t("upload_active", names=", ".join(ctx.upload_names)), icon=":material/upload_file:"
        )


def _tabs(ctx: Context) -> None:
    labels = [ctx.t(k) for k in _TAB_KEYS]
    by_id = dict(zip(TAB_IDS, labels, strict=True))
    to_id = {label: tab_id for tab_id, label in by_id.items()}

    def _changed() -> None:
        settings()["tab"] = to_id.get(st.session_state["w_tab"], "kaart")

    st.session_state["w_tab"] = by_id[ctx.settings["tab"]]
    tabs = st.tabs(labels, key="w_tab", on_change=_changed)
    for tab, page in zip(tabs, _PAGES, strict=True):
        if tab.open:
            with tab:
                page.render(ctx)


def main() -> None:
    """Draw the whole app once."""
    st.set_page_config(
        page_title="Stapelkaart",
        page_icon="🗺️",  # an emoji: a Material icon makes the browser fetch a web font
        layout="wide",
        initial_sidebar_state="expanded",
    )
    try:
        st.html(_CSS)
        assets.ensure_assets_once()
        lang = language()
        role = resolve(lang)
        ctx = build_context(role, lang)
        _header(ctx)
        _notices(ctx)
        _tabs(ctx)
        write_url(ctx.choices)
        if ctx.complete is not None:  # the map is out: now clusters and hotspots
            ctx.complete()
    except StapelkaartError as exc:
        st.error(exc.nl)
    except Exception:  # the user never sees a traceback; the log keeps it
        _LOG.exception("unexpected error in the app")
        st.error(t("unexpected_error", settings().get("lang", "nl")))


main()
