"""A light Streamlit protocol client for the load benchmark (not a benchmark itself).

One :class:`Session` is what one browser tab is to the server: a websocket on
``/_stcore/stream`` that sends ``BackMsg`` protobufs (a script rerun with the
page's query string and widget states) and reads the ``ForwardMsg`` protobufs
the server sends back (deltas, page info, script finished). It draws nothing
and runs no JavaScript, so many sessions cost the measuring process little
CPU (``bench/load.py`` prints how much); what a browser adds on top (loading
the page, drawing the map in the st_folium iframe) is measured apart there.

The map counts as delivered when the delta carrying the ``st_folium`` component
(whose arguments hold the whole folium HTML) arrives. A layer switch sends the
sidebar's *Kaartlaag* select box with a new value, as the browser does, and
counts as done when a map delta with different HTML arrives. Uses ``websockets``
(a dependency of Streamlit) and Streamlit's own protobuf classes.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import ClientConnection, connect

from geo_app.mapview.folium_frame import COMPONENT

__all__ = ["LoadClientError", "Session"]

_SUCCESS = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_SUCCESSFULLY")


class LoadClientError(RuntimeError):
    """The server did not answer as a browser would see it (timeout, error, closed)."""


@dataclass
class _Select:
    widget_id: str
    options: list[str]
    value: str


@dataclass
class Session:
    """One simulated browser tab against the Streamlit server at ``base`` (http URL).

    Parameters
    ----------
    base
        The server's base URL, e.g. ``http://127.0.0.1:8501``.
    layer_label
        The label of the select box that chooses the map layer (``Kaartlaag``).
    timeout
        Seconds any single wait may take before :class:`LoadClientError`.
    """

    base: str
    layer_label: str = "Kaartlaag"
    timeout: float = 120.0
    query: str = ""
    map_html: str = ""
    layer: _Select | None = None
    errors: list[str] = field(default_factory=list)
    _ws: ClientConnection | None = None

    async def open(self) -> float:
        """Connect and request the first script run; return seconds until the first map."""
        started = time.perf_counter()
        url = "ws" + self.base.removeprefix("http") + "/_stcore/stream"
        try:
            self._ws = await connect(
                url,
                subprotocols=["streamlit"],  # type: ignore[list-item]
                max_size=None,
                open_timeout=self.timeout,
                compression=None,
                proxy=None,
            )
        except (OSError, TimeoutError) as exc:
            raise LoadClientError(f"could not connect to {url}: {exc}") from exc
        await self._rerun([])
        await self._until_map(changed=False)
        return time.perf_counter() - started

    async def idle(self) -> None:
        """Read until the current script run (and any rerun it asked for) has finished."""
        await self._read(lambda msg: msg.WhichOneof("type") == "script_finished"
                         and msg.script_finished == _SUCCESS)  # fmt: skip

    async def switch(self) -> tuple[float, str]:
        """Choose the next map layer; return seconds until its map arrived, and the layer."""
        if self.layer is None:
            raise LoadClientError(f"no select box {self.layer_label!r} was sent")
        options = self.layer.options
        target = options[(options.index(self.layer.value) + 1) % len(options)]
        state = BackMsg().rerun_script.widget_states.widgets.add()
        state.id = self.layer.widget_id
        state.string_value = target
        started = time.perf_counter()
        await self._rerun([state])
        await self._until_map(changed=True)
        seconds = time.perf_counter() - started
        if self.layer.value != target:
            raise LoadClientError(f"asked for layer {target!r}, the app shows {self.layer.value!r}")
        return seconds, target

    async def close(self) -> None:
        """Close the websocket (the server ends the session)."""
        if self._ws is not None:
            await self._ws.close()
            self._ws = None

    async def _rerun(self, widgets: list[Any]) -> None:
        msg = BackMsg()
        msg.rerun_script.query_string = self.query
        msg.rerun_script.widget_states.widgets.extend(widgets)
        assert self._ws is not None
        await self._ws.send(msg.SerializeToString())

    async def _until_map(self, *, changed: bool) -> None:
        before = self.map_html

        def done(msg: ForwardMsg) -> bool:
            return bool(self.map_html) and (not changed or self.map_html != before)

        await self._read(done)

    async def _read(self, done: Any) -> None:
        assert self._ws is not None
        deadline = time.monotonic() + self.timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise LoadClientError(f"no answer within {self.timeout:.0f} s")
            try:
                raw = await asyncio.wait_for(self._ws.recv(), timeout=left)
            except TimeoutError as exc:
                raise LoadClientError(f"no answer within {self.timeout:.0f} s") from exc
            except Exception as exc:  # the connection closed
                raise LoadClientError(f"the connection closed: {exc}") from exc
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            self._take(msg)
            if done(msg):
                return

    def _take(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        if kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string
        elif kind == "script_finished" and msg.script_finished == 1:
            self.errors.append("compile error")
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            which = element.WhichOneof("type")
            if which == "exception":
                self.errors.append(element.exception.message)
            elif which == "component_instance":
                if element.component_instance.component_name == COMPONENT:
                    self.map_html = element.component_instance.json_args
            elif which == "selectbox" and element.selectbox.label == self.layer_label:
                box = element.selectbox
                value = box.raw_value if box.HasField("raw_value") else box.options[box.default]
                self.layer = _Select(box.id, list(box.options), value)
