"""Escaping of names and labels before they reach HTML or Markdown.

Area names, indicator labels, column names from an upload and messages that
quote them are *text*. Folium tooltips and popups, ``st.markdown`` and
``st.warning`` interpret what they get (HTML, or Markdown with images and
links), so every such string goes through :func:`escape_html` or
:func:`escape_markdown` first. ``st.dataframe``, ``st.text`` and ``st.code``
show text as text and need no escaping.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

import pandas as pd

__all__ = ["escape_html", "escape_markdown", "escape_frame"]

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$])")


def escape_html(value: object) -> str:
    """Return ``value`` as text that HTML shows literally.

    ``None`` and NaN become an empty string; ``<``, ``>``, ``&`` and both
    quote characters are replaced by entities, so the result is safe inside
    element content and quoted attribute values.
    """
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return html.escape(str(value), quote=True)


def escape_markdown(value: object) -> str:
    """Return ``value`` as text that Streamlit's Markdown shows literally.

    Markdown special characters get a backslash (so ``![x](http://...)`` does
    not load an image and ``[a](javascript:...)`` is no link), ``<``, ``>`` and
    ``&`` become HTML entities, and line breaks become spaces.
    """
    text = escape_html(value).replace("\r", " ").replace("\n", " ")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def escape_frame(frame: pd.DataFrame, columns: Iterable[str] | None = None) -> pd.DataFrame:
    """Return a copy of ``frame`` whose text columns are HTML-escaped.

    Parameters
    ----------
    frame
        Any (Geo)DataFrame; it is not modified.
    columns
        Columns to escape; by default every object or string column except the
        geometry. Missing values become empty strings in escaped columns.

    Returns
    -------
    DataFrame
        Same type, index and columns as ``frame``.
    """
    out = frame.copy()
    geometry = getattr(frame, "_geometry_column_name", None)
    if columns is None:
        columns = [
            c
            for c in frame.columns
            if c != geometry
            and (pd.api.types.is_object_dtype(frame[c]) or pd.api.types.is_string_dtype(frame[c]))
        ]
    for column in columns:
        if column not in frame.columns:
            raise ValueError(f"column {column!r} not in frame")
        out[column] = frame[column].map(escape_html).astype(object)
    return out
