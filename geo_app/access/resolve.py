"""Roles in the running app: resolve the role, show login state, filter what a role sees.

The rules themselves live in :mod:`geo_app.access.roles` (``docs/trust.md`` section 3).
This module applies them to the app's analysis table:

* indicator columns (``layers.INDICATORS``, CBS columns and ``gem_`` columns of
  own data) a role may not see are dropped, and so is their ``_smoothed`` twin;
* the analysis layers ``stacking_score``, ``themes_high``, ``cluster_label``
  and ``hotspot`` are indicator keys too. For viewing, a hidden one is blanked
  (the pages keep working, nothing is shown); for export it is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import NoReturn

import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st

from cbs_ingest.columns import COLUMNS_BY_NAME
from cbs_ingest.errors import InputError
from geo_app.access.roles import (
    Purpose,
    Role,
    current_session,
    filter_indicators,
    load_access_config,
)
from geo_app.session.i18n import t
from layers import INDICATORS
from layers.municipal import PREFIX
from models.analysis import SMOOTHED_SUFFIX

__all__ = [
    "filter_table",
    "ANALYSIS_GROUPS",
    "known_keys",
    "resolve",
    "visible",
]

#: Analysis layer → the table columns that belong to it.
ANALYSIS_GROUPS: dict[str, tuple[str, ...]] = {
    "stacking_score": (
        "stacking_score",
        "stacking_percentile",
        "mean_percentile",
        "stacking_flag",
        "n_indicators",
        "reliability",
        "reliability_class",
        "stacking_percentile_lo",
        "stacking_percentile_hi",
        "stacking_stability",
        "stability_class",
    ),
    "themes_high": ("themes_high", "high_themes"),
    "cluster_label": ("cluster_label", "cluster"),
    "hotspot": ("hotspot", "gi_hotspot"),
}


def known_keys() -> list[str]:
    """Indicator names a roles file may use (``gem_`` names are accepted as well)."""
    return [*INDICATORS, *COLUMNS_BY_NAME, *ANALYSIS_GROUPS]


def _indicator_key(column: str) -> str | None:
    """The indicator a column shows (``x_smoothed`` shows ``x``), or ``None``."""
    known = set(INDICATORS) | set(COLUMNS_BY_NAME)
    column = str(column)
    for key in (column, column.removesuffix(SMOOTHED_SUFFIX)):
        if key in known or key.startswith(PREFIX):
            return key
    return None


def _indicator_columns(columns: Iterable[str]) -> dict[str, str]:
    """Indicator columns among ``columns``, each with the indicator key it shows."""
    keys = {c: _indicator_key(c) for c in columns}
    return {c: k for c, k in keys.items() if k is not None}


def visible(role: Role, key: str, *, purpose: Purpose = "view") -> bool:
    """Whether a role may see (or export) an indicator or analysis layer."""
    return bool(filter_indicators([key], role, purpose=purpose))


def _blank(table: gpd.GeoDataFrame, columns: Iterable[str]) -> gpd.GeoDataFrame:
    for column in columns:
        if column not in table.columns:
            continue
        series = table[column]
        if pd.api.types.is_bool_dtype(series):
            table[column] = False
        elif pd.api.types.is_numeric_dtype(series):
            table[column] = np.nan
        else:
            table[column] = None
    return table


def filter_table(
    table: gpd.GeoDataFrame,
    role: Role,
    *,
    purpose: Purpose = "view",
    theme_names: Mapping[str, str] | None = None,
) -> gpd.GeoDataFrame:
    """The table as a role may see (``purpose="view"``) or export it: the one role filter.

    Rows of levels the role may not see or export are dropped (when the table has a
    ``level`` column), and so are indicator columns it may not see or export. The
    columns of a hidden analysis layer (:data:`ANALYSIS_GROUPS`) are blanked for
    viewing, so the pages keep working and show nothing, and dropped for export.

    Themes the role may not see (or export) are left out of what the analysis says
    about an area: ``high_themes`` lists only its themes and ``themes_high`` counts
    them, and a cluster label that names themes becomes "Cluster <n>" when the
    analysis used a theme the role may not see. Never modifies ``table``.

    Parameters
    ----------
    table
        The analysis table (``geo_app.session.analysis.analyse``), or a table already
        filtered for viewing.
    role
        The role of this run.
    purpose
        ``"view"`` or ``"export"``.
    theme_names
        Indicator key -> the name ``high_themes`` uses for it, for every theme the
        analysis used. Without it, a role that may not see every indicator column
        gets no theme names at all (fail closed).
    """
    out = table.copy()
    if "level" in out.columns:
        levels, _ = role._scope(purpose)
        out = out.loc[out["level"].isin(levels)]
    hidden = [
        c
        for c, k in _indicator_columns(out.columns).items()
        if not visible(role, k, purpose=purpose)
    ]
    for key, columns in ANALYSIS_GROUPS.items():
        if not visible(role, key, purpose=purpose):
            if purpose == "export":
                hidden += [c for c in columns if c in out.columns]
            else:
                out = _blank(out, columns)
    if theme_names is None:
        unseen = ["*"] if hidden else []
    else:
        unseen = [n for k, n in theme_names.items() if not visible(role, k, purpose=purpose)]
    out = out.drop(columns=hidden)
    if unseen:
        out = _without_themes(out, unseen)
    return out


def _without_themes(table: gpd.GeoDataFrame, names: list[str]) -> gpd.GeoDataFrame:
    """Leave themes (``"*"``: all) out of ``high_themes``, its count and cluster labels."""
    if "high_themes" in table.columns and table["high_themes"].notna().any():
        listed = table["high_themes"].fillna("").astype(str)
        if names == ["*"]:
            kept = listed.map(lambda _: "")
        else:
            pattern = re.compile(
                "(?:^|, )(?:" + "|".join(re.escape(n) for n in names) + ")(?=, |$)"
            )
            kept = listed.map(lambda text: pattern.sub("", text).removeprefix(", "))
        table["high_themes"] = kept.where(table["high_themes"].notna(), None)
        if "themes_high" in table.columns:
            count = kept.map(lambda text: len(text.split(", ")) if text else 0)
            table["themes_high"] = count.where(table["themes_high"].notna())
    if "cluster_label" in table.columns and "cluster" in table.columns:
        numbered = table["cluster"].map(lambda c: None if pd.isna(c) else f"Cluster {int(c)}")
        table["cluster_label"] = numbered.where(numbered.notna(), table["cluster_label"])
    return table


def _account(session, lang: str) -> None:
    sb = st.sidebar
    if session.mode == "local":
        sb.caption(t("account_local", lang, role=session.role.label))
        return
    sb.caption(t("account_user", lang, email=session.email or "?", role=session.role.label))
    sb.button(t("logout", lang), on_click=st.logout, key="logout", icon=":material/logout:")


def _no_access(message: str, *, lang: str, session=None, config=None) -> NoReturn:
    """Show why there is no access (with a log-in or log-out button) and stop the run."""
    st.error(message)
    if session is not None and session.mode == "oidc" and not session.logged_in:
        provider = config.login_provider if config else None
        st.button(
            "Inloggen", on_click=st.login, args=(provider,) if provider else (), type="primary"
        )
    elif session is not None and session.logged_in:
        st.button(t("logout", lang), on_click=st.logout, key="logout_main")
    st.stop()
    raise PermissionError(message)  # st.stop() ends the run; never fall through to data


def resolve(lang: str) -> Role:
    """The role of this run; shows a Dutch message and stops the run when there is none.

    Fails closed: a broken roles configuration, an error while looking up the
    person or their role, a missing claim or an unknown user all end in a
    no-access message. Only without login configured does the app run in
    local single-user mode with the local role.
    """
    try:
        config = load_access_config(secrets=st.secrets, indicators=known_keys())
    except InputError as exc:
        _no_access(exc.nl, lang=lang)
    try:
        session = current_session(config)
    except Exception:  # noqa: BLE001 - whatever went wrong, nobody gets in
        _no_access(t("role_lookup_failed", lang), lang=lang)
    if session.role is None:
        if session.mode == "oidc" and not session.logged_in:
            _no_access(
                session.reason_nl or t("role_none", lang), lang=lang, session=session, config=config
            )
        _no_access(t("role_none", lang), lang=lang, session=session, config=config)
    role = session.role
    _account(session, lang)
    if not any(role.may_see(level=lv) for lv in ("buurt", "wijk")):
        st.info(t("role_no_levels", lang, role=role.label))
        if session.logged_in:
            st.button(t("logout", lang), on_click=st.logout, key="logout_main")
        st.stop()
    return role
