"""A local HTTP server that speaks CBS's OData v3 bulk feed, as cbsodata 1.3.5 uses it.

cbsodata's ``download_data`` asks, under ``/ODataFeed/odata/<table>/``:

1. the service document (``?$format=json``): ``value`` = ``[{"name", "url"}]``;
2. every listed collection (``TableInfos``, ``TypedDataSet`` with ``$filter`` and
   ``$select``, ``DataProperties``, ``CategoryGroups``, dimensions), following
   ``odata.nextLink`` until a page has none.

This server does exactly that from rows given to it, pads codes to 10
characters as CBS does, pages with ``$skip`` next-links, understands the
``$filter`` forms CBS clients use (``startswith``, ``substringof``, ``eq``,
``or``/``and``, parentheses) and answers 400 to anything else. A fault plan
makes chosen requests fail: HTTP 5xx, a body cut short, invalid JSON, a reset
connection, a response slower than the client's timeout.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

FEED = "/ODataFeed/odata"


@dataclass
class Fault:
    """Make the next ``times`` requests whose path+query contains ``match`` fail as ``kind``.

    Kinds: ``500``, ``503``, ``truncate`` (Content-Length promises more than is
    sent), ``badjson`` (a complete response with half a JSON document),
    ``reset`` (connection closed without an answer), ``slow`` (answer after
    ``delay`` seconds), ``novalue`` (valid JSON without ``value``), ``dropcol``
    (rows without the columns whose key starts with ``column``), ``html`` (a
    200 maintenance page instead of JSON).

    With ``every`` > 0 the fault instead hits every ``every``-th matching
    request, without limit (a flaky server).
    """

    match: str
    kind: str
    times: int = 1
    delay: float = 2.0
    column: str = ""
    every: int = 0
    hits: int = 0
    seen: int = 0


@dataclass
class FakeTable:
    """One CBS table: its typed rows, ``DataProperties``, ``TableInfos`` and dimension.

    ``dimensions`` replaces the single ``WijkenEnBuurten`` dimension when a table has
    others (``Perioden``, ``Wijken``, ``Financieringsvorm``, …): each is listed in the
    service document and served as a collection of ``{"Key", "Title"}``.
    """

    table_id: str
    rows: list[dict[str, Any]]
    properties: list[dict[str, Any]]
    info: dict[str, Any]
    dimension: list[dict[str, Any]]
    dimensions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def pad(code: str, width: int = 10) -> str:
    """Pad a code with spaces as CBS does in keys and ``Codering``."""
    return code.ljust(width)


def make_properties(keys: list[str]) -> list[dict[str, Any]]:
    """``DataProperties`` in CBS's shape: the geo dimension, a topic group, then topics."""
    props: list[dict[str, Any]] = [
        {
            "odata.type": "Cbs.OData.GeoDetail",
            "ID": 0,
            "Position": 0,
            "ParentID": None,
            "Type": "GeoDetail",
            "Key": "WijkenEnBuurten",
            "Title": "Wijken en buurten",
            "Description": "",
            "MapYear": 2024,
        },
        {
            "odata.type": "Cbs.OData.TopicGroup",
            "ID": 1,
            "Position": None,
            "ParentID": None,
            "Type": "TopicGroup",
            "Key": "",
            "Title": "Regioaanduiding",
            "Description": "",
        },
    ]
    for i, key in enumerate(keys, start=2):
        text = key in ("Gemeentenaam_1", "SoortRegio_2") or key.startswith(("Codering", "Indeling"))
        props.append(
            {
                "odata.type": "Cbs.OData.Topic",
                "ID": i,
                "Position": i - 1,
                "ParentID": 1,
                "Type": "Topic",
                "Key": key,
                "Title": key.rsplit("_", 1)[0],
                "Description": None,
                "Datatype": "String" if text else "Double",
                "Unit": "",
                "Decimals": 0,
                "Default": "Impossible",
                "PresentationType": "",
            }
        )
    return props


# --- $filter -------------------------------------------------------------------------

_TOKEN = re.compile(r"\s*(?:(\()|(\))|(,)|'((?:[^']|'')*)'|([A-Za-z_][A-Za-z0-9_]*))")


class FilterError(ValueError):
    pass


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise FilterError(f"cannot parse $filter at {text[pos : pos + 20]!r}")
        pos = m.end()
        if m.group(1):
            out.append(("(", "("))
        elif m.group(2):
            out.append((")", ")"))
        elif m.group(3):
            out.append((",", ","))
        elif m.group(4) is not None:
            out.append(("str", m.group(4).replace("''", "'")))
        else:
            out.append(("name", m.group(5)))
    return out


def parse_filter(text: str):
    """Compile a CBS-style OData filter into a predicate on a row dict."""
    tokens = _tokens(text)
    pos = 0

    def peek(kind=None, value=None):
        if pos < len(tokens):
            k, v = tokens[pos]
            if (kind is None or k == kind) and (value is None or v == value):
                return tokens[pos]
        return None

    def take(kind=None, value=None):
        nonlocal pos
        tok = peek(kind, value)
        if tok is None:
            raise FilterError(f"unexpected token in $filter near position {pos}")
        pos += 1
        return tok[1]

    def expr_or():
        left = expr_and()
        while peek("name", "or"):
            take()
            right = expr_and()
            left = (lambda a, b: lambda r: a(r) or b(r))(left, right)
        return left

    def expr_and():
        left = atom()
        while peek("name", "and"):
            take()
            right = atom()
            left = (lambda a, b: lambda r: a(r) and b(r))(left, right)
        return left

    def atom():
        if peek("("):
            take("(")
            inner = expr_or()
            take(")")
            return inner
        name = take("name")
        if name == "startswith":
            take("(")
            fld = take("name")
            take(",")
            val = take("str")
            take(")")
            return lambda r: str(r.get(fld) or "").startswith(val)
        if name == "substringof":
            take("(")
            val = take("str")
            take(",")
            fld = take("name")
            take(")")
            return lambda r: val in str(r.get(fld) or "")
        op = take("name")
        if op != "eq":
            raise FilterError(f"operator {op!r} not supported")
        val = take("str")
        return lambda r: str(r.get(name)) == val

    predicate = expr_or()
    if pos != len(tokens):
        raise FilterError("trailing tokens in $filter")
    return predicate


# --- the server ------------------------------------------------------------------------


@dataclass
class FakeCbs:
    """State of the fake server: tables, faults, request log, page size."""

    tables: dict[str, FakeTable] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    page_size: int = 500
    page_sizes: dict[str, int] = field(default_factory=dict)  # per collection, e.g. TypedDataSet
    log: list[str] = field(default_factory=list)
    reject_filters: bool = False
    listed: list[str] | None = None  # collections in the service document (None: CBS's list)
    memo: dict[tuple, bytes] = field(default_factory=dict)
    url: str = ""

    def reset(self) -> None:
        self.faults.clear()
        self.log.clear()
        self.page_sizes.clear()
        self.listed = None
        self.reject_filters = False

    def count(self, fragment: str) -> int:
        """Number of logged requests whose path+query contains ``fragment``."""
        return sum(fragment in entry for entry in self.log)


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeCBS/1.0"
    state: FakeCbs

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", f"{content_type};charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status: int, message: str) -> None:
        body = {"odata.error": {"code": "", "message": {"lang": "en-US", "value": message}}}
        self._send(status, json.dumps(body).encode())

    def _fault(self, target: str) -> Fault | None:
        for fault in self.state.faults:
            if fault.match not in target:
                continue
            fault.seen += 1
            if fault.every:
                if fault.seen % fault.every == 0:
                    fault.hits += 1
                    return fault
                continue
            if fault.hits < fault.times:
                fault.hits += 1
                return fault
        return None

    def do_GET(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        target = parts.path + ("?" + parts.query if parts.query else "")
        self.state.log.append(target)
        fault = self._fault(target)
        if fault is not None and fault.kind in ("500", "503"):
            return self._error(int(fault.kind), "Service temporarily unavailable")
        if fault is not None and fault.kind == "reset":
            self.close_connection = True
            self.connection.close()
            return None
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.delay)
        try:
            status, body, ctype = self._route(parts.path, parse_qs(parts.query))
        except FilterError as exc:
            return self._error(400, str(exc))
        if fault is not None and fault.kind == "truncate":
            self.send_response(200)
            self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return None
        if fault is not None and fault.kind == "dropcol":
            doc = json.loads(body)
            doc["value"] = [
                {k: v for k, v in row.items() if not k.startswith(fault.column)}
                for row in doc["value"]
            ]
            body = json.dumps(doc).encode()
        if fault is not None and fault.kind == "badjson":
            body = body[: len(body) // 2]
        if fault is not None and fault.kind == "html":
            return self._send(200, b"<html><body>Onderhoud</body></html>", "text/html")
        if fault is not None and fault.kind == "novalue":
            body = json.dumps({"odata.metadata": "x"}).encode()
        return self._send(status, body, ctype)

    def _route(self, path: str, query: dict[str, list[str]]) -> tuple[int, bytes, str]:
        if not path.startswith(FEED + "/"):
            return 404, b'{"error": "not found"}', "application/json"
        rest = path[len(FEED) + 1 :]
        table_id, _, name = rest.partition("/")
        table = self.state.tables.get(table_id)
        if table is None:
            return (
                404,
                json.dumps({"odata.error": {"message": {"value": "no such table"}}}).encode(),
                "application/json",
            )
        base = f"{self.state.url}{FEED}/{table_id}/"
        if name == "":
            names = [
                "TableInfos",
                "UntypedDataSet",
                "TypedDataSet",
                "DataProperties",
                "CategoryGroups",
                *(table.dimensions or ["WijkenEnBuurten"]),
            ]
            names = self.state.listed or names
            doc = {
                "odata.metadata": base + "$metadata",
                "value": [{"name": n, "url": base + n} for n in names],
            }
            return 200, json.dumps(doc).encode(), "application/json"
        if name == "$metadata":
            xml = (
                '<?xml version="1.0" encoding="utf-8"?><edmx:Edmx Version="1.0" '
                'xmlns:edmx="http://schemas.microsoft.com/ado/2007/06/edmx"/>'
            )
            return 200, xml.encode(), "application/xml"
        collections = {
            "TableInfos": lambda: [table.info],
            "DataProperties": lambda: table.properties,
            "CategoryGroups": lambda: [],
            "WijkenEnBuurten": lambda: table.dimension,
            **{d: (lambda d=d: table.dimensions[d]) for d in table.dimensions},
            "TypedDataSet": lambda: table.rows,
            "UntypedDataSet": lambda: [
                {
                    k: (v if isinstance(v, str) else ("       ." if v is None else str(v)))
                    for k, v in row.items()
                }
                for row in table.rows
            ],
        }
        if name not in collections:
            return 404, b'{"error": "no such collection"}', "application/json"
        flt = query.get("$filter", [None])[0]
        sel = query.get("$select", [None])[0]
        size = self.state.page_sizes.get(name, self.state.page_size)
        memo_key = (id(table), name, flt, sel, size, query.get("$skip", ["0"])[0])
        if name in ("WijkenEnBuurten", "DataProperties") and memo_key in self.state.memo:
            return 200, self.state.memo[memo_key], "application/json"
        rows = collections[name]()
        if (flt or sel) and self.state.reject_filters:
            raise FilterError("query options are not supported by this server")
        if flt:
            predicate = parse_filter(flt)
            rows = [r for r in rows if predicate(r)]
        if sel:
            keys = [k.strip() for k in sel.split(",") if k.strip()]
            known = {p["Key"] for p in table.properties} | {"ID", "WijkenEnBuurten"}
            if name != "TypedDataSet" and name != "UntypedDataSet":
                known = set(rows[0]) if rows else set(keys)
            unknown = [k for k in keys if k not in known]
            if unknown:
                raise FilterError(f"unknown property in $select: {unknown[0]}")
            rows = [{k: r.get(k) for k in keys} for r in rows]
        skip = int(query.get("$skip", ["0"])[0])
        page = rows[skip : skip + size]
        doc: dict[str, Any] = {
            "odata.metadata": base + "$metadata#Cbs.OData.WebAPI." + name,
            "value": page,
        }
        if skip + size < len(rows):
            params = {"$format": "json", "$skip": skip + size}
            if flt:
                params["$filter"] = flt
            if sel:
                params["$select"] = sel
            doc["odata.nextLink"] = base + name + "?" + urlencode(params)
        body = json.dumps(doc).encode()
        if name in ("WijkenEnBuurten", "DataProperties"):
            self.state.memo[memo_key] = body  # big and unchanging: encode once
        return 200, body, "application/json"


class FakeCbsServer:
    """Run :class:`FakeCbs` on 127.0.0.1 on an ephemeral port, in a thread."""

    def __init__(self, state: FakeCbs | None = None) -> None:
        self.state = state or FakeCbs()
        handler = type("Handler", (_Handler,), {"state": self.state})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        host, port = self.httpd.server_address[:2]
        self.state.url = f"http://{host}:{port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return self.state.url

    def __enter__(self) -> FakeCbsServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
