"""``python -m bench.pipeline [--jobs N] [--brokers redis,rabbitmq]``: N videos through the whole flow on each
broker, ``still`` renderer.

Run from the repository root: the benchmark drives the example shop, so it ships in no wheel.

Everything is real and local: a fresh SQLite database (or ``DATABASE_URL``), Redis (``BENCH_REDIS_URL``,
database 12 of the local server, flushed), RabbitMQ (``BENCH_AMQP_URL``, the local server; the system's queues
on it are emptied), a temporary storage folder, the runner and the events worker as separate processes, as in
production, started anew for each broker. Each job is requested as the editor's button requests it, and the
next one only after the previous video is attached, so the figures are latencies rather than queueing.

Printed: the median seconds of each runner stage, the overhead outside rendering (click → runner start, runner
done → attached) on each broker, and the still renderer's speed as a multiple of real time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from decimal import Decimal
from pathlib import Path

from gpu_runner.protocol import STAGES

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
SCRIPTS = (
    "Meet the trail backpack. Thirty litres, padded straps, and a rain cover for the days that need it.",
    "This enamel camp mug holds three hundred and fifty millilitres and shrugs off the campfire.",
    "The head torch gives three hundred lumens and lasts a whole night on its low setting.",
)


def _environment(workdir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}")
    env["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
    env["VIDEO_STORAGE_URL"] = str(workdir / "storage")
    env["GPU_RUNNER_RENDERER"] = "still"
    env["GPU_RUNNER_HEALTH_PORT"] = env.get("BENCH_HEALTH_PORT", "8099")
    env["dramatiq_queue_prefetch"] = "1"
    env["DJANGO_DEBUG"] = "0"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _wait_for(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"error: {url} did not answer within {seconds:.0f} s")


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


BROKERS = ("redis", "rabbitmq")


def run(jobs: int, brokers: list[str]) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as tmp:
        workdir = Path(tmp)
        env = _environment(workdir)
        os.environ.update(env)  # this process is the web side: same database, broker and storage
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
        import django

        django.setup()
        import redis
        from django.core.management import call_command

        redis.Redis.from_url(env["REDIS_URL"]).flushdb()
        call_command("migrate", verbosity=0)
        call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
        results = {broker: _measure(broker, jobs, env, workdir / broker) for broker in brokers}
        _report(results)


def _broker_url(broker: str, env: dict[str, str]) -> str:
    """The broker's URL, its queues emptied (the Redis database is flushed, RabbitMQ's queues purged)."""
    import dramatiq
    from django.utils.module_loading import import_string

    from gpu_runner.protocol import EVENTS_QUEUE, PREVIEW_QUEUE, RENDER_LANES
    from video_plugin.jobs.brokers import dramatiq_broker

    url = env["REDIS_URL"] if broker == "redis" else os.environ.get("BENCH_AMQP_URL", DEFAULT_AMQP_URL)
    config = dramatiq_broker(url, middleware=[])
    web_side = import_string(config["BROKER"])(**config["OPTIONS"])
    for queue in (*(lane.queue for lane in RENDER_LANES), PREVIEW_QUEUE, EVENTS_QUEUE):
        # RabbitMQ declares lazily; a queue must exist before it can be purged.
        web_side.declare_queue(queue, **({"ensure": True} if broker == "rabbitmq" else {}))
        web_side.flush(queue)
    dramatiq.set_broker(web_side)  # this process sends the clicks through it
    return url


def _measure(broker: str, jobs: int, env: dict[str, str], logs: Path) -> list:
    from django.contrib.auth import get_user_model

    from shop.models import Organization, ProductPage
    from video_plugin.jobs.requests import request_video
    from video_plugin.models import VideoJob

    organization = Organization.objects.get(slug="acme")
    admin = get_user_model().objects.get(username="admin-acme")
    index = organization.index_page
    env = {**env, "BROKER_URL": _broker_url(broker, env)}
    logs.mkdir(parents=True)
    manage = [sys.executable, str(ROOT / "manage.py")]
    commands = {
        "runner": [sys.executable, "-m", "gpu_runner", "serve"],
        "events": [*manage, "rundramatiq", "--queues", "video-events", "-p", "1", "-t", "1"],
    }
    processes = [
        subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=(logs / f"{name}.log").open("wb"), stderr=subprocess.STDOUT
        )
        for name, cmd in commands.items()
    ]
    try:
        _wait_for(f"http://127.0.0.1:{env['GPU_RUNNER_HEALTH_PORT']}/health", 60)
        finished: list[VideoJob] = []
        for number in range(jobs):
            page = index.add_child(
                instance=ProductPage(title=f"Bench {broker} {number}", price=Decimal("10.00"), live=True)
            )
            # Each script differs, or identical input would reuse the first video instead of rendering.
            script = f"{SCRIPTS[number % len(SCRIPTS)]} Item {number + 1} of {jobs}, on {broker}."
            job = request_video(page, admin, VideoJob.Trigger.EDITOR, script=script)
            deadline = time.monotonic() + 120
            while not job.is_terminal:
                if time.monotonic() > deadline:
                    raise SystemExit(f"error: job {job.job_id} did not finish; logs in {logs}")
                time.sleep(0.05)
                job.refresh_from_db()
            if job.status != VideoJob.Status.SUCCEEDED:
                raise SystemExit(f"error: job {job.job_id} {job.status}: {job.error_message}")
            finished.append(job)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=15)
    return finished


def _report(results: dict[str, list]) -> None:
    jobs = [job for finished in results.values() for job in finished]
    stages = sorted({stage for job in jobs for stage in job.timings})
    video_seconds = [job.media.duration for job in jobs]
    # "compose.{format}" entries are shares of the "compose" stage, so only the stages add up to the total.
    runner_total = [sum(seconds for stage, seconds in job.timings.items() if stage in STAGES) for job in jobs]
    # The still renderer's frames are encoded as they stream, so its speed counts render + encode together.
    speed = [
        job.media.duration / (job.timings.get("render", 0) + job.timings.get("encode", 0)) for job in jobs
    ]

    print(f"pipeline bench: {len(jobs)} jobs, still renderer, median video {_median(video_seconds):.2f} s")
    print("runner stages (median seconds):")
    for stage in stages:
        print(f"  {stage:<18} {_median([job.timings.get(stage, 0.0) for job in jobs]):8.3f}")
    print(f"  {'total':<18} {_median(runner_total):8.3f}")
    print("overhead outside rendering (median seconds):")
    print(f"  {'':<26}" + "".join(f"{broker:>10}" for broker in results))
    to_start = {
        broker: [(job.started_at - job.created_at).total_seconds() for job in finished]
        for broker, finished in results.items()
    }
    to_attached = {
        broker: [job.finished_at.timestamp() - job.last_event_at for job in finished]
        for broker, finished in results.items()
    }
    for label, figures in (("click -> runner start", to_start), ("runner done -> attached", to_attached)):
        print(f"  {label:<26}" + "".join(f"{_median(values):10.3f}" for values in figures.values()))
    print(f"still renderer speed: {_median(speed):.1f}x real time (render + encode)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pipeline", description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=5, help="how many videos to push through each broker")
    parser.add_argument(
        "--brokers", default=",".join(BROKERS), help=f"comma-separated, of: {', '.join(BROKERS)}"
    )
    args = parser.parse_args(argv)
    brokers = [name.strip() for name in args.brokers.split(",") if name.strip()]
    unknown = sorted(set(brokers) - set(BROKERS))
    if unknown or not brokers:
        parser.error(f"--brokers takes {', '.join(BROKERS)}; got {args.brokers!r}")
    run(max(1, args.jobs), brokers)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
