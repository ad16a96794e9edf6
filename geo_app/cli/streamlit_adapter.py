"""The one place that changes Streamlit's internals: its external IP lookup.

Supported: Streamlit >=1.50,<2 (pyproject.toml). ``tests/test_dependency_adapters.py``
fails, naming the function, when Streamlit no longer has it.
"""

from __future__ import annotations

import logging

__all__ = ["no_external_ip_lookup"]

_LOG = logging.getLogger(__name__)


def no_external_ip_lookup() -> bool:
    """Keep Streamlit from asking a public web service for the machine's external IP.

    A headless Streamlit server bound to all interfaces looks up its external address
    at start, only to print an "External URL". On a municipal network that is a request
    to a third party for nothing; the local and network URLs are still printed.

    Returns
    -------
    bool
        False (with a warning in the log) when Streamlit has no
        ``net_util.get_external_ip`` any more; the server then starts as Streamlit does.
    """
    from streamlit import net_util

    if not callable(getattr(net_util, "get_external_ip", None)):
        _LOG.warning("streamlit.net_util.get_external_ip is gone; the lookup is not switched off")
        return False
    net_util.get_external_ip = lambda: None
    return True
