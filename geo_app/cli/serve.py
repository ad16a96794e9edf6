"""Launcher of the Streamlit server used by ``stapelkaart app``.

``python -m geo_app.cli.serve run geo_app/app.py [streamlit options]`` is the same
as ``python -m streamlit run ...``, except that with ``STAPELKAART_PRELOAD=1``
the app's modules start importing in the background (:mod:`geo_app._preload`),
and that the server never asks a public service for its external IP address.
"""

from __future__ import annotations

import sys

from geo_app import _preload


def no_external_ip_lookup() -> None:
    """Keep Streamlit from asking a public web service for the machine's external IP.

    A headless Streamlit server bound to all interfaces looks up its external address
    at start, only to print an "External URL". On a municipal network that is a request
    to a third party for nothing; the local and network URLs are still printed.
    """
    from streamlit import net_util

    net_util.get_external_ip = lambda: None


def main() -> int:
    """Start the preloading, then Streamlit's own command line."""
    _preload.start()
    no_external_ip_lookup()
    from streamlit.web.cli import main as streamlit_main

    return streamlit_main(prog_name="streamlit")


if __name__ == "__main__":
    sys.exit(main())
