"""Settings in session state, their widgets, and the context every page reads.

Settings live in ``st.session_state["settings"]`` (one dict, names of
:data:`geo_app.session.state.SPECS`). They are read from the URL on the first run of a
session, checked against the current choices on every run, and written back to
the URL at the end of every run. Widgets are bound to a setting with
:func:`bound`, so a widget that is not drawn (a hidden tab) loses nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import streamlit as st

from geo_app.access.roles import LOCAL_ROLE, Role
from geo_app.session import data as _data
from geo_app.session import state
from geo_app.session.data import IndicatorInfo, Loaded
from geo_app.session.i18n import t

__all__ = ["Context", "bound", "init_settings", "settings", "write_url"]

_KEY = "settings"
_NOTICES = "settings_notices"


@dataclass
class Context:
    """Everything a page needs: language, settings, data, analysis, choices."""

    lang: str
    settings: dict[str, Any]
    loaded: Loaded
    table: gpd.GeoDataFrame
    infos: list[IndicatorInfo]
    layers: dict[str, str]
    analysed: bool
    result: Any = None
    choices: dict[str, Sequence[Any]] = field(default_factory=dict)
    upload_names: list[str] = field(default_factory=list)
    request: tuple[str, ...] | None = None
    role: Role = LOCAL_ROLE
    upload: dict[str, Any] | None = None  # the joined own data of this level (``session.own_data``)
    #: When ``analysed`` is False: runs the rest of the analysis and reruns the page.
    complete: Callable[[], None] | None = None

    def t(self, key: str, **values: object) -> str:
        """Text in the current language."""
        return t(key, self.lang, **values)

    @property
    def names(self) -> dict[str, str]:
        """Area code → name at the current level."""
        return dict(zip(self.table["code"], self.table["name"], strict=False))

    @property
    def gemeente_values(self) -> dict[str, float] | None:
        """The gemeente's own indicator values (reference beside each area)."""
        if not self.role.may_see(level="gemeente"):
            return None
        return _data.references(self.loaded.year, self.loaded.code, self.request)

    @property
    def national_values(self) -> dict[str, float] | None:
        """National reference values, or None (demo gemeente, no whole-country ingest).

        All gemeenten of a cached whole-country ingest taken together.
        """
        if self.loaded.demo:
            return None
        return _data.national_values(self.loaded.year)


def settings() -> dict[str, Any]:
    """The session's settings dict (created empty on first use)."""
    return st.session_state.setdefault(_KEY, {})


def init_settings(names: Sequence[str], choices: dict[str, Sequence[Any]]) -> None:
    """Give each setting in ``names`` a valid value.

    A setting seen for the first time in this session is read from the URL
    (bad values fall back to the default and are remembered as a notice); a
    setting that is no longer valid for the current data is reset.
    """
    values = settings()
    notices = st.session_state.setdefault(_NOTICES, [])
    fresh = [n for n in names if n not in values]
    if fresh:
        parsed, rejected = state.parse_params(
            st.query_params.to_dict(), names=fresh, choices=choices
        )
        values.update(parsed)
        notices.extend(r for r in rejected if r not in notices)
    for name in names:
        if not state.is_valid(name, values[name], choices):
            values[name] = state.default(name, choices)


def pop_notices(*, keep: bool = False) -> list[str]:
    """Names of settings from the URL that were invalid (once per session).

    With ``keep`` they stay for the next run too (a run that reruns the page at its end).
    """
    notices = st.session_state.get(_NOTICES, [])
    if not keep:
        st.session_state[_NOTICES] = []
    return notices


def bound(
    widget: Callable[..., Any],
    name: str,
    label: str,
    *,
    to_widget: Callable[[Any], Any] | None = None,
    from_widget: Callable[[Any], Any] | None = None,
    on_change: Callable[[], None] | None = None,
    suffix: str = "",
    **kwargs: Any,
) -> Any:
    """Draw ``widget`` bound to setting ``name``; return the setting's value.

    Parameters
    ----------
    widget
        A Streamlit widget function, e.g. ``st.selectbox`` or ``st.sidebar.toggle``.
    name
        The setting.
    label
        Widget label.
    to_widget, from_widget
        Conversions between the setting and the widget value (e.g. tuple ↔ list).
    on_change
        Called after the setting was updated.
    suffix
        Appended to the widget key, for a second widget bound to the same setting.
    **kwargs
        Passed to the widget.
    """
    key = f"w_{name}{suffix}"
    value = settings()[name]
    st.session_state[key] = to_widget(value) if to_widget else value

    def _changed() -> None:
        value = st.session_state[key]
        settings()[name] = from_widget(value) if from_widget else value
        if on_change:
            on_change()

    widget(label, key=key, on_change=_changed, **kwargs)
    return settings()[name]


def write_url(choices: dict[str, Sequence[Any]]) -> None:
    """Write the settings to the URL query parameters (only when they changed)."""
    wanted = state.to_params(settings(), choices=choices)
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)
