"""The load's clients: threads, each with its own keep-alive HTTP session, calling the site as fast as it
answers until a deadline, and recording every answer.

A client is a loop, not a rate: it sends its next request when the last one is answered, so the latencies
include the time requests wait for a free server thread, as a busy site's users see them. Each call is one
of a weighted mix (:data:`MIX`) of what editors and API users do while a batch renders.
"""

from __future__ import annotations

import itertools
import random
import statistics
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

# A request not answered in this long is recorded as failed ("timeout"), as a browser or API client gives up.
REQUEST_TIMEOUT_S = 30.0
# A server closes a kept-alive connection once it has been idle a while (gunicorn: 2 s), and that close may
# cross the client's next request on it; a browser then sends an idempotent request again on a new
# connection. So do the clients, once, for GETs, and the figures count it. Anything else left without an
# answer is a failure.
KEEP_ALIVE_RETRY = Retry(
    total=1, connect=1, read=1, status=0, redirect=0, allowed_methods={"GET"}, raise_on_status=False
)

# What one call does, with its share of the calls. The panel's status is what every open editor's panel polls
# (STATUS_POLL_SECONDS); reading jobs is what an integration does most; creating one is rare.
MIX = (
    ("panel status", 0.50),
    ("panel voice preview", 0.01),
    ("api list jobs", 0.20),
    ("api get job", 0.28),
    ("api create job", 0.01),
)
# Each client opens with this many voice previews, the panel's cheapest call that reads storage, so that every
# server thread has made its storage connection before the warm-up ends: django-storages keeps one boto3
# client per thread (about 12 MB each), made on the thread's first use, which would otherwise read as growth.
OPENING_VOICE_PREVIEWS = 2
# The answers each call may give while the site works; anything else is counted as unexpected. A create may
# join the page's job in flight (200) or meet API_MAX_IN_FLIGHT (429).
EXPECTED_STATUS = {
    "panel status": {200},
    "panel voice preview": {200, 202},  # 202: asked a runner for it, the first time
    "api list jobs": {200},
    "api get job": {200},
    "api create job": {200, 201, 429},
}


@dataclass(frozen=True)
class Targets:
    """What the clients call: the site, the session cookies of someone who may generate (the voice preview
    asks that), two organizations' API tokens, and the pages to ask about.

    Reads go to the organization whose batch is draining (``busy_token``, ``status_pages``); creates go to
    another one (``create_token``, ``create_pages``), whose in-flight limit the batch has not already filled.
    The jobs asked for one by one are those the lists have shown, as an integration finds them.
    """

    base_url: str
    panel_cookies: dict[str, str]
    busy_token: str
    create_token: str
    status_pages: Sequence[int]
    create_pages: Sequence[int]


@dataclass(frozen=True)
class Sample:
    """One answered (or failed) request: ``status`` is the HTTP status, or 0 when no answer came."""

    call: str
    started: float  # time.monotonic() when sent
    seconds: float
    status: int
    error: str = ""
    retried: bool = False  # sent again once after the connection was closed under it


@dataclass
class CallFigures:
    """One call's requests in the measured window: counts by status and latency percentiles (ms)."""

    call: str
    requests: int
    server_errors: int  # 5xx
    failures: int  # no answer: refused, reset or timed out
    unexpected: int  # an answer outside EXPECTED_STATUS that is not a 5xx
    retried: int  # answered on the second try, after a kept-alive connection closed (KEEP_ALIVE_RETRY)
    statuses: Counter[int] = field(default_factory=Counter)
    p50_ms: float = float("nan")
    p95_ms: float = float("nan")
    p99_ms: float = float("nan")


def figures(samples: Sequence[Sample], since: float) -> list[CallFigures]:
    """Per-call figures of the samples sent at or after ``since`` (the end of the warm-up), in :data:`MIX`
    order."""
    table = []
    for call, _ in MIX:
        mine = [sample for sample in samples if sample.call == call and sample.started >= since]
        statuses = Counter(sample.status for sample in mine)
        latencies = sorted(sample.seconds * 1000 for sample in mine if sample.status)
        row = CallFigures(
            call=call,
            requests=len(mine),
            server_errors=sum(count for status, count in statuses.items() if status >= 500),
            failures=statuses[0],
            unexpected=sum(
                count
                for status, count in statuses.items()
                if status and status < 500 and status not in EXPECTED_STATUS[call]
            ),
            retried=sum(1 for sample in mine if sample.retried),
            statuses=statuses,
        )
        if len(latencies) >= 2:
            cuts = statistics.quantiles(latencies, n=100, method="inclusive")
            row.p50_ms, row.p95_ms, row.p99_ms = cuts[49], cuts[94], cuts[98]
        table.append(row)
    return table


class LoadClients:
    """``count`` client threads calling ``targets`` until ``deadline`` (a ``time.monotonic()``)."""

    def __init__(self, targets: Targets, count: int, deadline: float, seed: int = 15) -> None:
        self.targets = targets
        self.deadline = deadline
        self._creates = itertools.count(1)
        self._listed: list[str] = []  # job ids seen in list answers, for the "get job" calls
        self._listed_set: set[str] = set()
        self._samples: list[list[Sample]] = [[] for _ in range(count)]
        self._threads = [
            threading.Thread(
                target=self._run,
                args=(random.Random(seed + number), self._samples[number]),
                name=f"load-client-{number}",
                daemon=True,
            )
            for number in range(count)
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def join(self) -> list[Sample]:
        """Wait for every client to pass the deadline; returns all their samples."""
        for thread in self._threads:
            thread.join(timeout=max(0.0, self.deadline - time.monotonic()) + REQUEST_TIMEOUT_S + 5)
        return [sample for samples in self._samples for sample in samples]

    def _run(self, rng: random.Random, samples: list[Sample]) -> None:
        calls = {
            "panel status": self._panel_status,
            "panel voice preview": self._voice_preview,
            "api list jobs": self._list_jobs,
            "api get job": self._get_job,
            "api create job": self._create_job,
        }
        names = [name for name, _ in MIX]
        weights = [weight for _, weight in MIX]
        with requests.Session() as session:
            session.mount("http://", HTTPAdapter(max_retries=KEEP_ALIVE_RETRY))
            session.cookies.update(self.targets.panel_cookies)
            opening = ["panel voice preview"] * OPENING_VOICE_PREVIEWS
            while time.monotonic() < self.deadline:
                name = opening.pop() if opening else rng.choices(names, weights)[0]
                if name == "api get job" and not self._listed:
                    name = "api list jobs"  # nothing listed yet to get
                started = time.monotonic()
                try:
                    response = calls[name](session, rng)
                except requests.RequestException as exc:
                    error = f"{type(exc).__name__}: {exc}"
                    samples.append(Sample(name, started, time.monotonic() - started, 0, error))
                    continue
                seconds = time.monotonic() - started
                error = response.text[:300] if response.status_code >= 500 else ""
                retries = response.raw.retries
                retried = retries is not None and bool(retries.history)
                samples.append(Sample(name, started, seconds, response.status_code, error, retried))
                if name == "api list jobs" and response.status_code == 200:
                    self._remember(response)

    def _remember(self, listing: requests.Response) -> None:
        for job in listing.json()["results"]:
            if job["id"] not in self._listed_set:
                self._listed_set.add(job["id"])
                self._listed.append(job["id"])

    def _panel_status(self, session: requests.Session, rng: random.Random) -> requests.Response:
        page = rng.choice(self.targets.status_pages)
        return session.get(
            f"{self.targets.base_url}/admin/video/pages/{page}/status/", timeout=REQUEST_TIMEOUT_S
        )

    def _voice_preview(self, session: requests.Session, rng: random.Random) -> requests.Response:
        page = rng.choice(self.targets.status_pages)
        return session.post(
            f"{self.targets.base_url}/admin/video/pages/{page}/voice-preview/",
            json={"voice": ""},  # the organization's default voice
            headers={"X-CSRFToken": self.targets.panel_cookies["csrftoken"]},
            timeout=REQUEST_TIMEOUT_S,
        )

    def _list_jobs(self, session: requests.Session, rng: random.Random) -> requests.Response:
        params = {"limit": 20, "offset": rng.choice((0, 0, 20, 100))}
        if rng.random() < 0.3:
            params["status"] = rng.choice(("queued", "running", "succeeded"))
        return session.get(
            f"{self.targets.base_url}/api/video/v1/jobs/",
            params=params,
            headers=self._bearer(self.targets.busy_token),
            timeout=REQUEST_TIMEOUT_S,
        )

    def _get_job(self, session: requests.Session, rng: random.Random) -> requests.Response:
        job_id = rng.choice(self._listed)
        return session.get(
            f"{self.targets.base_url}/api/video/v1/jobs/{job_id}/",
            headers=self._bearer(self.targets.busy_token),
            timeout=REQUEST_TIMEOUT_S,
        )

    def _create_job(self, session: requests.Session, rng: random.Random) -> requests.Response:
        # A script of its own each time, so the job renders rather than reuse an identical finished video.
        number = next(self._creates)
        body = {
            "page": rng.choice(self.targets.create_pages),
            "script": f"A quick word about item {number}.",
            "layout": "presenter",
            "formats": ["square"],
            "burn_captions": False,
        }
        return session.post(
            f"{self.targets.base_url}/api/video/v1/jobs/",
            json=body,
            headers=self._bearer(self.targets.create_token),
            timeout=REQUEST_TIMEOUT_S,
        )

    @staticmethod
    def _bearer(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}
