"""The load scenario: the job API and the editor panel's status endpoint under concurrent clients while a
batch of videos drains through two runners, with every figure the load test checks and ``bench.load``
prints.

The world is the demo shop (``seed_demo``) on a running :class:`~tests.stack.Stack`: its events worker and
runner, a second runner, and the site under gunicorn. Acme's batch of ``jobs`` product pages is queued with
``manage.py generate_videos``; the clients then read Acme's jobs (API token, the panel's status and voice
preview signed in as an Acme admin) and now and then create a job for a Bluebird page with Bluebird's token.
Every job is cheap: a one-line script, the ``presenter`` layout and one ``square`` format, rendered by the
``still`` renderer.

The plan's defaults are the issue's numbers (50 clients for 60 s, 200 batch jobs); each can be changed by an
environment variable (:meth:`LoadPlan.from_environment`).
"""

from __future__ import annotations

import io
import math
import os
import re
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal

import requests
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.management import call_command
from django.db.models import Max, Min
from wagtailmedia.models import get_media_model

from gpu_runner.protocol import STAGES
from shop.demo_content import password_for
from shop.models import Organization, ProductPage
from shop.roles import Role
from tests.load.clients import EXPECTED_STATUS, CallFigures, LoadClients, Sample, Targets, figures
from tests.load.process_memory import TreeMemory, tree_memory
from tests.stack import ROOT, Stack
from video_plugin.models import ApiToken, BrandKit, VideoJob

# The organization whose batch drains and whose jobs are read, and the one API clients create jobs for.
BUSY_ORGANIZATION = "acme"
CREATE_ORGANIZATION = "bluebird"
CREATE_PAGES = 10
# The cheapest finished video: the talking head on the presenter layout, one 1080×1080 rendition.
CHEAP_KIT = {
    "default_layout": "presenter",
    "default_formats": ["square"],
    "default_burn_captions": False,
    "intro_enabled": False,
    "outro_enabled": False,
    "logo": None,
}
# What a memory reading may grow between the end of the warm-up and the end of the drain.
MEMORY_GROWTH_LIMIT = 0.20
# How long the batch command may take to start and queue its first job (a Django start on a busy machine).
BATCH_START_TIMEOUT_S = 120.0
# Each applied "succeeded" report logs this line in the events worker (video_plugin.jobs.attach).
ATTACHED_LINE = re.compile(r"attached (\S+) to page \d+ as media \d+")


@dataclass(frozen=True)
class LoadPlan:
    """How hard and how long: the issue's figures by default."""

    clients: int = 50
    duration_s: float = 60.0  # measured, after the warm-up
    warmup_s: float = 5.0
    jobs: int = 200
    web_workers: int = 2
    web_threads: int = 8
    # After the clients stop; the rest of a 200-job drain took up to 330 s on a busy 2-core machine.
    drain_timeout_s: float = 600.0

    ENVIRONMENT = {
        "clients": "LOAD_CLIENTS",
        "duration_s": "LOAD_DURATION_S",
        "warmup_s": "LOAD_WARMUP_S",
        "jobs": "LOAD_JOBS",
        "web_workers": "LOAD_WEB_WORKERS",
        "web_threads": "LOAD_WEB_THREADS",
        "drain_timeout_s": "LOAD_DRAIN_TIMEOUT_S",
    }

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> LoadPlan:
        """The plan with each ``LOAD_*`` variable that is set; a bad value raises ``ValueError`` naming it."""
        values: dict[str, float | int] = {}
        for item in fields(cls):
            variable = cls.ENVIRONMENT[item.name]
            raw = environ.get(variable, "").strip()
            if not raw:
                continue
            kind = int if item.type == "int" else float
            try:
                value = kind(raw)
            except ValueError:
                noun = "a whole number" if kind is int else "a number of seconds"
                raise ValueError(f"{variable}={raw!r} is not {noun}; unset it for {item.default}") from None
            if not value > 0 or math.isinf(value):
                raise ValueError(f"{variable}={raw!r} must be above 0; unset it for {item.default}")
            values[item.name] = value
        return cls(**values)

    def describe(self) -> str:
        return (
            f"{self.clients} clients for {self.duration_s:g} s (after {self.warmup_s:g} s warm-up), "
            f"{self.jobs} batch jobs, 2 still runners, gunicorn {self.web_workers} workers x "
            f"{self.web_threads} threads"
        )


@dataclass(frozen=True)
class Catalogue:
    """What the scenario seeded: the two organizations, their pages, and the person whose panel is open."""

    busy: Organization
    create: Organization
    batch_pages: list[int]
    create_pages: list[int]
    panel_user: tuple[str, str]  # username, password of an Acme admin, who may generate


@dataclass
class ServiceMemory:
    """A service's process-tree memory after the warm-up, every second of the load, and after the drain."""

    name: str
    before: TreeMemory
    after: TreeMemory
    during: list[int]  # total bytes, one reading a second

    @property
    def peak_bytes(self) -> int:
        return max([self.before.total_bytes, *self.during, self.after.total_bytes])

    @property
    def growth(self) -> float:
        return self.after.total_bytes / self.before.total_bytes - 1

    @property
    def restarted(self) -> set[int]:
        """Pids read after the warm-up that are gone at the end: a worker that died (and was replaced)."""
        return set(self.before.by_pid) - set(self.after.by_pid)


@dataclass
class LoadReport:
    """Everything measured in one run."""

    plan: LoadPlan
    calls: list[CallFigures]  # after the warm-up
    warmup: list[CallFigures]
    error_examples: list[str]
    batch: str  # the batch command's summary line
    batch_jobs: int
    batch_queued_s: float  # the batch command's run time
    jobs: Counter[tuple[str, str]]  # (trigger, status) → count
    drain_s: float  # first batch job queued → last job final
    unfinished: list[str]
    failed: list[str]
    duplicate_finals: dict[str, int]  # job id → finals applied, for jobs with other than one
    rendered_jobs: int
    renders: int  # the runners' jobs done and failed
    stage_medians: dict[str, float]  # the runner's seconds per stage, median over the rendered jobs
    memory: list[ServiceMemory]
    phases: dict[str, float] = field(default_factory=dict)

    def problems(self) -> list[str]:
        """Each way the run broke the load test's claims, as a sentence; empty when all hold."""
        found = []
        for row in [*self.warmup, *self.calls]:
            for count, what in (
                (row.server_errors, "5xx answers"),
                (row.failures, "requests without an answer"),
                (row.unexpected, f"answers other than {sorted(EXPECTED_STATUS[row.call])}"),
            ):
                if count:
                    found.append(f"{row.call}: {count} {what} ({dict(row.statuses)})")
        if self.batch_jobs != self.plan.jobs:
            found.append(f"the batch made {self.batch_jobs} jobs, not {self.plan.jobs}: {self.batch}")
        if self.unfinished:
            found.append(f"{len(self.unfinished)} jobs never reached a final state: {self.unfinished[:5]}")
        if self.failed:
            found.append(f"{len(self.failed)} jobs failed: {self.failed[:5]}")
        if self.duplicate_finals:
            found.append(f"jobs not finalized exactly once (job: finals applied): {self.duplicate_finals}")
        for service in self.memory:
            if service.restarted:
                found.append(f"{service.name}: processes {sorted(service.restarted)} ended during the load")
            if service.growth > MEMORY_GROWTH_LIMIT:
                found.append(
                    f"{service.name} memory grew {service.growth:.0%} (limit {MEMORY_GROWTH_LIMIT:.0%}): "
                    f"{service.before.total_mb:.0f} MB -> {service.after.total_mb:.0f} MB"
                )
        return found

    def table(self) -> str:
        lines = [f"load: {self.plan.describe()}", ""]
        lines.append(
            f"{'endpoint':<20} {'requests':>8} {'5xx':>5} {'other':>6} {'p50 ms':>8} {'p95 ms':>8} "
            f"{'p99 ms':>8} {'retried':>7}  statuses"
        )
        for row in self.calls:
            statuses = dict(sorted(row.statuses.items()))
            lines.append(
                f"{row.call:<20} {row.requests:>8} {row.server_errors:>5} {row.failures + row.unexpected:>6} "
                f"{row.p50_ms:>8.0f} {row.p95_ms:>8.0f} {row.p99_ms:>8.0f} {row.retried:>7}  {statuses}"
            )
        total = sum(row.requests for row in self.calls)
        lines.append(
            f"{'all':<20} {total:>8}   ({total / self.plan.duration_s:.0f} requests/s; warm-up: "
            f"{sum(row.requests for row in self.warmup)} more, "
            f"{sum(row.server_errors + row.failures for row in self.warmup)} failed)"
        )
        lines.append("")
        by_status = Counter()
        for (_, status), count in self.jobs.items():
            by_status[status] += count
        created = sum(count for (trigger, _), count in self.jobs.items() if trigger == VideoJob.Trigger.API)
        outcomes = ", ".join(f"{status} {count}" for status, count in sorted(by_status.items()))
        lines.append(f"batch command: {self.batch} ({self.batch_queued_s:.0f} s)")
        total_jobs = sum(self.jobs.values())
        lines.append(f"jobs: {total_jobs} ({self.batch_jobs} batch, {created} through the API): {outcomes}")
        lines.append(
            f"drain: {self.drain_s:.0f} s from the first batch job queued to the last final state; "
            f"{self.rendered_jobs} jobs rendered, {self.renders} renders by the runners; "
            f"duplicate finals {len(self.duplicate_finals)}; unfinished {len(self.unfinished)}"
        )
        stages = ", ".join(f"{stage} {seconds:.2f}" for stage, seconds in self.stage_medians.items())
        lines.append(f"runner seconds per job (medians): {stages}")
        lines.append("")
        lines.append(
            f"{'memory (RSS)':<28} {'after warm-up':>14} {'peak':>8} {'after drain':>12} {'growth':>7}"
        )
        for service in self.memory:
            lines.append(
                f"{service.name + f' ({len(service.after.by_pid)} processes)':<28} "
                f"{service.before.total_mb:>11.0f} MB {service.peak_bytes / 2**20:>5.0f} MB "
                f"{service.after.total_mb:>9.0f} MB {service.growth:>7.1%}"
            )
        for service in self.memory:
            every_10_s = " ".join(f"{reading / 2**20:.0f}" for reading in service.during[::10])
            lines.append(f"{service.name} MB every 10 s of the load: {every_10_s}")
        lines.append("")
        lines.append(
            "wall time: " + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in self.phases.items())
        )
        if self.error_examples:
            lines.append("")
            lines.append("first errors:")
            lines.extend(f"  {example}" for example in self.error_examples)
        return "\n".join(lines)


def seed_catalogue(jobs: int) -> Catalogue:
    """The demo shop with ``jobs`` live Acme product pages and a few Bluebird ones, every page with a short
    script of its own and both brand kits set to the cheapest finished video.

    Call once the stack runs: the demo's images go to its bucket.
    """
    call_command("seed_demo", stdout=io.StringIO())
    busy = Organization.objects.get(slug=BUSY_ORGANIZATION)
    create = Organization.objects.get(slug=CREATE_ORGANIZATION)
    for organization in (busy, create):
        # Pages published here must not queue videos of their own beside the batch.
        organization.auto_generate_on_publish = False
        organization.save()
        BrandKit.objects.filter(organization_id=organization.pk).update(**CHEAP_KIT)
    batch_pages = product_pages(busy, jobs, "Trail item")
    create_pages = product_pages(create, CREATE_PAGES, "Shelf item")
    username, password = f"{Role.ADMIN.value}-{busy.slug}", password_for(Role.ADMIN, busy.slug)
    # Hashed as the site's default hasher does: the test settings' fast one is unknown to the web server.
    hasher = PBKDF2PasswordHasher()
    get_user_model().objects.filter(username=username).update(password=hasher.encode(password, hasher.salt()))
    return Catalogue(busy, create, batch_pages, create_pages, (username, password))


def product_pages(organization: Organization, count: int, title: str) -> list[int]:
    """Exactly ``count`` live product pages under the organization's index (the demo's first), each with a
    one-line script of its own, so no job reuses another's video; returns their ids."""
    index = organization.index_page
    existing = list(ProductPage.objects.child_of(index).live().order_by("path").values_list("pk", flat=True))
    ProductPage.objects.filter(pk__in=existing[count:]).update(live=False)
    for number in range(len(existing), count):
        index.add_child(
            instance=ProductPage(title=f"{title} {number + 1}", price=Decimal("10.00"), live=True)
        )
    pages = list(ProductPage.objects.child_of(index).live().order_by("path").values_list("pk", flat=True))
    for number, page in enumerate(pages, start=1):
        ProductPage.objects.filter(pk=page).update(video_script=f"{title} {number}, ready when you are.")
    return pages


def log_in(base_url: str, username: str, password: str) -> dict[str, str]:
    """Sign in through Wagtail's login form, as an editor's browser does; returns the session's cookies."""
    with requests.Session() as session:
        session.get(f"{base_url}/admin/login/", timeout=30).raise_for_status()
        answer = session.post(
            f"{base_url}/admin/login/",
            data={
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": session.cookies["csrftoken"],
            },
            timeout=30,
        )
        if "sessionid" not in session.cookies:
            raise AssertionError(
                f"{username} could not sign in at {base_url}/admin/login/ ({answer.status_code})"
            )
        return dict(session.cookies)


class BatchCommand:
    """``manage.py generate_videos --org SLUG`` in a process of its own, as an operator runs it beside the
    site, logging to ``generate_videos.log`` among the stack's logs."""

    def __init__(self, stack: Stack, organization: Organization) -> None:
        self.log = stack.logs / "generate_videos.log"
        command = [sys.executable, "manage.py", "generate_videos", "--org", organization.slug]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=stack.env, stdout=log, stderr=log)
        self.started = time.monotonic()
        self.ended: float | None = None

    def poll(self) -> bool:
        """Whether the command has ended (noting when, the first time it is seen ended)."""
        if self.ended is None and self.process.poll() is not None:
            self.ended = time.monotonic()
        return self.ended is not None

    def wait_for_first_job(self, timeout: float) -> None:
        """Return once the command has queued its first job, or has ended, or after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        batch_jobs = VideoJob.objects.filter(trigger=VideoJob.Trigger.BATCH)
        while not (self.poll() or batch_jobs.exists() or time.monotonic() > deadline):
            time.sleep(0.2)

    def wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not self.poll():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.2)
        return True

    @property
    def seconds(self) -> float:
        return (self.ended or math.nan) - self.started

    @property
    def summary(self) -> str:
        """The command's last line ("Acme Outdoor: requested 200 video(s); …"), or its exit status."""
        lines = self.log.read_text(errors="replace").strip().splitlines()
        return lines[-1] if lines and self.process.returncode == 0 else f"exit {self.process.returncode}"


def wait_for_drain(timeout: float) -> bool:
    """Wait until no job is queued or running; False if some still are after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while VideoJob.objects.filter(status__in=VideoJob.ACTIVE).exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)
    return True


def finals_applied(events_log: str) -> Counter[str]:
    """How many times the events worker attached each video key: once per "succeeded" report applied."""
    return Counter(ATTACHED_LINE.findall(events_log))


def duplicate_finals(jobs: list[VideoJob], events_log: str) -> dict[str, int]:
    """Succeeded jobs whose report was applied, or whose ``Media`` exists, other than exactly once."""
    applied = finals_applied(events_log)
    media = Counter(get_media_model().objects.values_list("file", flat=True))
    found = {}
    for job in jobs:
        if job.status == VideoJob.Status.SUCCEEDED and job.attempt > 0:
            count = max(applied[job.output_key], media[job.output_key])
            if count != 1:
                found[job.job_id] = count
    return found


def run_load(stack: Stack, plan: LoadPlan) -> LoadReport:
    """Run the scenario on ``stack`` (started with its events worker and one runner) and measure it."""
    started = time.monotonic()
    catalogue = seed_catalogue(plan.jobs)
    stack.start_runner("runner-2")
    base_url = stack.start_web(workers=plan.web_workers, threads=plan.web_threads)
    targets = Targets(
        base_url=base_url,
        panel_cookies=log_in(base_url, *catalogue.panel_user),
        busy_token=ApiToken.issue(catalogue.busy.pk, "load test: reads")[1],
        create_token=ApiToken.issue(catalogue.create.pk, "load test: creates")[1],
        status_pages=catalogue.batch_pages,
        create_pages=catalogue.create_pages,
    )
    web_ready = time.monotonic()

    # The clients start as the batch begins to queue, so the load meets its queueing and its drain alike.
    batch = BatchCommand(stack, catalogue.busy)
    batch.wait_for_first_job(timeout=BATCH_START_TIMEOUT_S)
    ready = time.monotonic()
    measured_since = ready + plan.warmup_s
    clients = LoadClients(targets, plan.clients, deadline=measured_since + plan.duration_s)
    clients.start()
    time.sleep(plan.warmup_s)
    services = {"web": stack.processes["web"].pid, "events worker": stack.processes["events"].pid}
    before = {name: tree_memory(pid) for name, pid in services.items()}
    during: dict[str, list[int]] = {name: [] for name in services}
    while time.monotonic() < clients.deadline:
        time.sleep(1.0)
        batch.poll()
        for name, pid in services.items():
            during[name].append(tree_memory(pid).total_bytes)
    samples = clients.join()
    loaded = time.monotonic()

    drained = batch.wait(plan.drain_timeout_s) and wait_for_drain(plan.drain_timeout_s)
    finished = time.monotonic()
    after = {name: tree_memory(pid) for name, pid in services.items()}

    jobs = list(VideoJob.objects.all())
    events_log = (stack.logs / "events.log").read_text(errors="replace")
    runners = [stack.runner_state(name) for name in ("runner", "runner-2")]
    first_batch = VideoJob.objects.filter(trigger=VideoJob.Trigger.BATCH).aggregate(first=Min("created_at"))
    last_final = VideoJob.objects.aggregate(last=Max("finished_at"))["last"]
    return LoadReport(
        plan=plan,
        calls=figures(samples, since=measured_since),
        warmup=figures([sample for sample in samples if sample.started < measured_since], since=0.0),
        error_examples=error_examples(samples),
        batch=batch.summary,
        batch_jobs=sum(1 for job in jobs if job.trigger == VideoJob.Trigger.BATCH),
        batch_queued_s=batch.seconds,
        jobs=Counter((job.trigger, job.status) for job in jobs),
        drain_s=(last_final - first_batch["first"]).total_seconds() if drained else math.nan,
        unfinished=[f"{job.job_id} {job.status}" for job in jobs if not job.is_terminal],
        failed=[f"{job.job_id}: {job.error_message}" for job in jobs if job.status == VideoJob.Status.FAILED],
        duplicate_finals=duplicate_finals(jobs, events_log),
        rendered_jobs=sum(1 for job in jobs if job.attempt > 0),
        renders=sum(runner["jobs_done"] + runner["jobs_failed"] for runner in runners),
        stage_medians=stage_medians(jobs),
        memory=[ServiceMemory(name, before[name], after[name], during[name]) for name in services],
        phases={
            "setup": web_ready - started,
            "batch start": ready - web_ready,
            "load": loaded - ready,
            "drain after the load": finished - loaded,
            "total": finished - started,
        },
    )


def stage_medians(jobs: list[VideoJob]) -> dict[str, float]:
    """The median seconds of each runner stage over the succeeded rendered jobs, and of their sum."""
    timed = [job.timings for job in jobs if job.status == VideoJob.Status.SUCCEEDED and job.attempt > 0]
    if not timed:
        return {}
    medians = {stage: statistics.median(t.get(stage, 0.0) for t in timed) for stage in STAGES}
    # "compose.<format>" entries are shares of "compose": only the stages add up.
    medians["total"] = statistics.median(sum(t.get(stage, 0.0) for stage in STAGES) for t in timed)
    return medians


def error_examples(samples: list[Sample], limit: int = 5) -> list[str]:
    """The first few failed requests, with what the server or the connection said."""
    failed = sorted(
        (sample for sample in samples if sample.status == 0 or sample.status >= 500),
        key=lambda sample: sample.started,
    )
    return [
        f"{sample.call}: {sample.status or 'no answer'} {sample.error[:200]}" for sample in failed[:limit]
    ]
