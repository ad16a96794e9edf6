"""Launcher of the Streamlit server used by ``stapelkaart app``.

``python -m geo_app.cli.serve run geo_app/app.py [streamlit options]`` is the same
as ``python -m streamlit run ...``, except that the server never asks a public
service for its external IP address (:mod:`geo_app.cli.streamlit_adapter`).
"""

from __future__ import annotations

import sys

from geo_app.cli.streamlit_adapter import no_external_ip_lookup


def main() -> int:
    """Start Streamlit's own command line without the external IP lookup."""
    no_external_ip_lookup()
    from streamlit.web.cli import main as streamlit_main

    return streamlit_main(prog_name="streamlit")


if __name__ == "__main__":
    sys.exit(main())
