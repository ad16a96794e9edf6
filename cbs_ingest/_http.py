"""Private network code: endpoints, retries with backoff, the cbsodata and PDOK calls.

Nothing outside :mod:`cbs_ingest` imports this module. Every network failure
leaves here as a :class:`~cbs_ingest.errors.SourceUnavailableError` with an
English and a Dutch message, after a bounded number of retries.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import cbsodata
import requests

from cbs_ingest._cbsodata_adapter import download_collection, use_session
from cbs_ingest.errors import InputError, SourceUnavailableError

__all__ = [
    "CBS_URL_ENV",
    "PDOK_URL_ENV",
    "RetryPolicy",
    "retry_policy",
    "cbs_base_url",
    "pdok_base_url",
    "cbs_download",
    "pdok_get",
    "FilterRejected",
]

CBS_URL_ENV = "STAPELKAART_CBS_URL"
PDOK_URL_ENV = "STAPELKAART_PDOK_URL"
_DEFAULT_PDOK = "https://api.pdok.nl"
_BULK_PATH = "/ODataFeed/odata"

_CBSODATA_LOCK = threading.Lock()


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to try a remote source.

    Attributes
    ----------
    attempts
        Total number of tries (at least 1).
    backoff
        Seconds before the second try; doubled after each failure.
    max_backoff
        Upper bound of one wait.
    connect_timeout, read_timeout
        Seconds passed to requests as ``timeout=(connect, read)``.
    """

    attempts: int = 3
    backoff: float = 0.5
    max_backoff: float = 8.0
    connect_timeout: float = 5.0
    read_timeout: float = 20.0

    def delays(self) -> list[float]:
        """Waits between the tries, bounded by ``max_backoff``."""
        return [min(self.backoff * 2**i, self.max_backoff) for i in range(self.attempts - 1)]


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    try:
        return float(raw)
    except ValueError:
        raise InputError(
            f"{name}={raw!r} is not a number.", nl=f"{name}={raw!r} is geen getal."
        ) from None


def retry_policy() -> RetryPolicy:
    """Return the retry policy, overridable with ``STAPELKAART_HTTP_*`` variables.

    ``STAPELKAART_HTTP_RETRIES`` (tries), ``STAPELKAART_HTTP_BACKOFF`` (first
    wait in seconds) and ``STAPELKAART_HTTP_TIMEOUT`` (read timeout in seconds).
    """
    read = _env_float("STAPELKAART_HTTP_TIMEOUT", 20.0)
    return RetryPolicy(
        attempts=max(1, int(_env_float("STAPELKAART_HTTP_RETRIES", 3))),
        backoff=max(0.0, _env_float("STAPELKAART_HTTP_BACKOFF", 0.5)),
        connect_timeout=min(5.0, read),
        read_timeout=read,
    )


def _normalise_base(raw: str, *, env: str) -> str:
    raw = raw.strip().rstrip("/")
    if "://" not in raw:
        raw = "http://" + raw  # a bare host[:port], e.g. 127.0.0.1:8765
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(
            f"{env}={raw!r} is not an http(s) URL, e.g. http://127.0.0.1:8765.",
            nl=f"{env}={raw!r} is geen http(s)-adres, bijvoorbeeld http://127.0.0.1:8765.",
        )
    return raw


def cbs_base_url() -> str:
    """The CBS OData host as ``scheme://host[:port][/prefix]`` (``STAPELKAART_CBS_URL``)."""
    raw = os.environ.get(CBS_URL_ENV, "").strip()
    if not raw:
        return "https://" + cbsodata.options.catalog_url
    base = _normalise_base(raw, env=CBS_URL_ENV)
    # Accept a URL that already names the bulk feed.
    for suffix in (_BULK_PATH, "/ODataApi/odata"):
        if base.lower().endswith(suffix.lower()):
            base = base[: -len(suffix)]
    return base


def pdok_base_url() -> str:
    """The PDOK API host (``STAPELKAART_PDOK_URL``), default PDOK itself."""
    raw = os.environ.get(PDOK_URL_ENV, "").strip()
    return _normalise_base(raw, env=PDOK_URL_ENV) if raw else _DEFAULT_PDOK


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host in ("localhost", "::1") or host.startswith("127.")


class FilterRejected(SourceUnavailableError):
    """The server answered 400/501 to a query option (``$filter``/``$select``)."""


def _status_of(exc: BaseException | None) -> int | None:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        response = getattr(exc, "response", None)
        if response is not None and getattr(response, "status_code", None):
            return int(response.status_code)
        exc = exc.__cause__ or exc.__context__
    return None


def _describe(exc: BaseException) -> str:
    status = _status_of(exc)
    if status is not None:
        return f"HTTP {status}"
    if isinstance(exc, requests.Timeout):
        return "timed out"
    if isinstance(exc, requests.ConnectionError):
        return "connection failed"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "response cut off"
    if isinstance(exc, ValueError | KeyError | TypeError):
        return "malformed or truncated response"
    return type(exc).__name__


def _retryable(exc: BaseException) -> bool:
    status = _status_of(exc)
    if status is not None:
        return status >= 500 or status in (408, 429)
    return isinstance(exc, requests.RequestException | ValueError | KeyError | TypeError)


def _retrying_session(
    policy: RetryPolicy,
    on_retry: Callable[[int, str], None] | None,
) -> type[requests.Session]:
    """A ``requests.Session`` class that retries each request with backoff.

    A response counts as failed when the connection fails or times out, the
    status is 5xx/408/429, the body is cut short, or a 200 body is not JSON or
    is an OData page without ``value``. Other 4xx answers are returned as they are, for
    the caller to report.
    """

    class RetryingSession(requests.Session):
        def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
            delays = policy.delays()
            for attempt in range(policy.attempts):
                try:
                    response = super().send(request, **kwargs)
                    body = response.content  # read it all now: a cut body raises here
                    status = response.status_code
                    if status >= 500 or status in (408, 429):
                        response.raise_for_status()
                    if status == 200:  # both clients parse every answer as JSON
                        document = json.loads(body)
                        if isinstance(document, dict) and "odata.metadata" in document:
                            document["value"]  # noqa: B018  (KeyError when a page lost it)
                    return response
                except (requests.RequestException, ValueError, KeyError) as exc:
                    if attempt == policy.attempts - 1:
                        raise
                    if on_retry is not None:
                        on_retry(attempt + 1, _describe(exc))
                    time.sleep(delays[attempt])
            raise AssertionError("unreachable")  # pragma: no cover

    return RetryingSession


def _raise_clear(
    exc: BaseException,
    *,
    source: str,
    where: str,
    attempts: int,
    what: str = "this table",
    what_nl: str = "deze tabel",
) -> None:
    status = _status_of(exc)
    if status in (400, 501):
        raise FilterRejected(
            f"{source} at {where} rejected the query (HTTP {status}).",
            nl=f"{source} ({where}) weigerde de vraag (HTTP {status}).",
        ) from exc
    if status == 404:
        raise SourceUnavailableError(
            f"{source} at {where} does not have {what} (HTTP 404).",
            nl=f"{source} ({where}) heeft {what_nl} niet (HTTP 404).",
        ) from exc
    tries = f"after {attempts} attempt(s)" if _retryable(exc) else "at the first attempt"
    tries_nl = f"na {attempts} poging(en)" if _retryable(exc) else "bij de eerste poging"
    reason = _describe(exc)
    raise SourceUnavailableError(
        f"{source} at {where} is unavailable {tries}: {reason}.",
        nl=f"{source} ({where}) is niet bereikbaar {tries_nl}: {reason}.",
    ) from exc


def cbs_download(
    table_id: str,
    *,
    filters: str | None,
    select: list[str] | None,
    metadata_only: bool = False,
    policy: RetryPolicy | None = None,
    on_retry: Callable[[int, str], None] | None = None,
) -> dict[str, Any]:
    """Download a table with the real ``cbsodata`` client, retrying each request.

    Parameters
    ----------
    table_id
        CBS table id, e.g. ``85984NED``.
    filters, select
        OData ``$filter`` and ``$select`` for the ``TypedDataSet``.
    metadata_only
        Only fetch ``DataProperties`` (to choose the ``$select`` columns).
    policy
        Retry policy; :func:`retry_policy` when omitted.
    on_retry
        Called with the attempt number and a short reason before each retry.

    Returns
    -------
    dict
        ``{"DataProperties": [...]}`` or the result of
        :func:`cbsodata.download_data` (every table of the feed, by name).
    """
    policy = policy or retry_policy()
    base = cbs_base_url()
    parts = urlsplit(base)
    catalog = parts.netloc + parts.path
    kwargs: dict[str, Any] = {"timeout": (policy.connect_timeout, policy.read_timeout)}
    if _is_loopback(base):
        kwargs["proxies"] = {"http": None, "https": None}

    session = _retrying_session(policy, on_retry)
    # cbsodata builds a fresh Session per page; give it one that retries.
    with _CBSODATA_LOCK, use_session(session, use_https=parts.scheme == "https"):
        try:
            if metadata_only:
                props = cbsodata.get_meta(table_id, "DataProperties", catalog_url=catalog, **kwargs)
                return {"DataProperties": props}
            try:
                # cbsodata 1.3.5 drops the set it is asked for: typed=False
                # downloads ``TypedDataSet`` (as get_data does by default).
                return cbsodata.download_data(
                    table_id,
                    typed=False,
                    filters=filters,
                    select=select,
                    catalog_url=catalog,
                    **kwargs,
                )
            except ValueError as exc:
                if "not in list" not in str(exc):
                    raise
            # The service document did not list UntypedDataSet, which download_data
            # insists on; fetch the three collections Stapelkaart needs one by one.
            data = {
                name: download_collection(table_id, name, catalog_url=catalog, **kwargs)
                for name in ("TableInfos", "DataProperties")
            }
            data["TypedDataSet"] = download_collection(
                table_id,
                "TypedDataSet",
                select=select,
                filters=filters,
                catalog_url=catalog,
                **kwargs,
            )
            return data
        except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
            _raise_clear(
                exc,
                source="CBS",
                where=base,
                attempts=policy.attempts,
                what=f"table {table_id}",
                what_nl=f"tabel {table_id}",
            )
            raise  # pragma: no cover


def pdok_get(
    url: str,
    *,
    params: dict[str, Any] | None = None,
    policy: RetryPolicy | None = None,
    on_retry: Callable[[int, str], None] | None = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """GET a JSON document from PDOK, retrying each request; return ``(json, headers)``."""
    policy = policy or retry_policy()
    proxies = {"http": None, "https": None} if _is_loopback(url) else None
    try:
        with _retrying_session(policy, on_retry)() as session:
            response = session.get(
                url,
                params=params,
                timeout=(policy.connect_timeout, policy.read_timeout),
                proxies=proxies,  # type: ignore[arg-type]  # None: no proxy for this scheme
            )
            response.raise_for_status()
            return json.loads(response.content), dict(response.headers)
    except (requests.RequestException, ValueError) as exc:
        _raise_clear(
            exc,
            source="PDOK",
            where=pdok_base_url(),
            attempts=policy.attempts,
            what=url,
            what_nl=url,
        )
        raise  # pragma: no cover
