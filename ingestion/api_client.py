"""The REST API connector: bearer auth, cursor pagination, retries with backoff.

One client per source, configured from `ingestion.sources`. Transient failures (429 with
its Retry-After, 5xx, timeouts, dropped connections) are retried by tenacity with
exponential backoff and jitter; when the vendor stays down the last error is raised as
`VendorUnavailable`, and the caller's cursor does not move.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from ingestion.sources import IngestSettings, SourceConfig

_RETRYABLE_STATUS = {429, 500, 502, 503, 504}
MAX_RETRY_AFTER_SECONDS = 120.0  # a longer Retry-After is treated as "down"


class VendorUnavailable(RuntimeError):
    """A vendor kept failing after every retry (or refused us outright)."""


class _TransientStatus(Exception):
    def __init__(self, response: httpx.Response):
        super().__init__(f"{response.status_code} {response.reason_phrase}")
        self.status_code = response.status_code
        self.retry_after = _retry_after_seconds(response)


def _retry_after_seconds(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff


def _is_transient(error: BaseException) -> bool:
    return isinstance(error, _TransientStatus | httpx.TransportError)


@dataclass
class CallStats:
    requests: int = 0
    retries: int = 0
    bytes: int = 0
    reasons: list[str] = field(default_factory=list)  # why each retry happened


@dataclass(frozen=True)
class FetchedRecords:
    records: list[dict]
    url: str  # the first page's URL: where these records came from
    pages: int


class VendorClient:
    """Talks to one source's API."""

    def __init__(
        self,
        source: SourceConfig,
        settings: IngestSettings,
        transport: httpx.BaseTransport | None = None,
    ):
        if not source.base_url:
            raise VendorUnavailable(f"{source.name}: no base_url configured for its API")
        self.source = source
        self.settings = settings
        self.stats = CallStats()
        self._backoff = wait_exponential_jitter(
            initial=0.1, max=settings.backoff_max_seconds, jitter=0.1
        )
        self._http = httpx.Client(
            base_url=source.base_url.rstrip("/") + "/",
            headers={"Authorization": f"Bearer {source.token()}", "Accept": "application/json"},
            timeout=settings.timeout_seconds,
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> VendorClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, _TransientStatus) and error.retry_after is not None:
            # The vendor said when to come back; earlier would only be refused again.
            return min(error.retry_after, MAX_RETRY_AFTER_SECONDS)
        return self._backoff(state)

    def _note_retry(self, state: RetryCallState) -> None:
        self.stats.retries += 1
        error = state.outcome.exception() if state.outcome else None
        self.stats.reasons.append(" ".join(str(error).split()) or type(error).__name__)

    def get(self, path: str, params: dict | None = None) -> dict:
        """GET a JSON document, retrying transient failures."""
        retrying = Retrying(
            retry=retry_if_exception(_is_transient),
            wait=self._wait,
            stop=stop_after_attempt(self.settings.max_attempts),
            before_sleep=self._note_retry,
            reraise=True,
        )
        url = f"{self.source.base_url}/{path}"
        try:
            for attempt in retrying:
                with attempt:
                    return self._get_once(path, params)
        except _TransientStatus as error:
            raise VendorUnavailable(
                f"{url}: still {error} after {self.settings.max_attempts} attempts"
            ) from error
        except httpx.TransportError as error:
            kind = type(error).__name__
            raise VendorUnavailable(
                f"{url}: still failing ({kind}) after {self.settings.max_attempts} attempts"
            ) from error
        raise AssertionError("unreachable")  # pragma: no cover

    def _get_once(self, path: str, params: dict | None) -> dict:
        self.stats.requests += 1
        response = self._http.get(path, params=params)
        self.stats.bytes += len(response.content)
        if response.status_code in _RETRYABLE_STATUS:
            raise _TransientStatus(response)
        if response.status_code != 200:
            detail = _detail(response)
            raise VendorUnavailable(f"{response.request.url}: {response.status_code} {detail}")
        try:
            document = response.json()
        except json.JSONDecodeError:
            raise VendorUnavailable(f"{response.request.url}: the response is not JSON") from None
        if not isinstance(document, dict) or not isinstance(document.get("data"), list):
            raise VendorUnavailable(f'{response.request.url}: no "data" list in the response')
        return document

    def fetch_records(self, entity: str, since: str | None, until: str | None) -> FetchedRecords:
        """Every record of `entity` whose cursor field is in [since, until), all pages."""
        params = {"limit": self.settings.page_size}
        if since is not None:
            params["since"] = since
        if until is not None:
            params["until"] = until
        first_url = str(self._http.build_request("GET", f"v1/{entity}", params=params).url)
        records: list[dict] = []
        pages = 0
        while True:
            document = self.get(f"v1/{entity}", params)
            pages += 1
            records.extend(document["data"])
            cursor = document.get("next_cursor")
            if not cursor:
                return FetchedRecords(records, first_url, pages)
            params = {"cursor": cursor, "limit": self.settings.page_size}

    def providers(self) -> list[str]:
        return [str(p) for p in self.get("v1/providers")["data"]]

    def provider_report(self, day: str, provider: str) -> FetchedRecords:
        params = {"provider": provider}
        url = str(self._http.build_request("GET", f"v1/provider_reports/{day}", params=params).url)
        return FetchedRecords(self.get(f"v1/provider_reports/{day}", params)["data"], url, 1)


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail", response.reason_phrase))
    except (json.JSONDecodeError, AttributeError):
        return response.reason_phrase
