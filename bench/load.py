"""``python -m bench.load``: the load test's scenario (``tests/load``), run once, its figures printed.

Run from the repository root. 50 clients call the job API and the editor panel's status endpoint for 60 s,
against the site under gunicorn, while 200 batch jobs drain through two ``still`` runners; then the table:
requests, 5xx and other failures, p50/p95/p99 per endpoint, jobs by outcome, duplicate finals, the drain
time, and the resident memory of the web and events-worker processes after the warm-up and after the drain.
Exits 1 when any of the load test's claims fails.

Everything is real and on loopback: PostgreSQL (a throwaway ``test_`` database made beside
``DATABASE_URL``'s, dropped at the end), Redis (``BENCH_REDIS_URL``, database 12 of the local server,
flushed), an S3 server (``moto_server``), and the events worker, runners and web server as processes.
The ``LOAD_*`` variables change the plan (``--help`` lists them).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/12"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load",
        description=__doc__.splitlines()[0],
        epilog=(
            "Environment: LOAD_CLIENTS (50), LOAD_DURATION_S (60), LOAD_WARMUP_S (5), LOAD_JOBS (200), "
            "LOAD_WEB_WORKERS (2), LOAD_WEB_THREADS (8), LOAD_DRAIN_TIMEOUT_S (600); DATABASE_URL "
            f"(PostgreSQL), BENCH_REDIS_URL ({DEFAULT_REDIS_URL})."
        ),
    )
    parser.parse_args(argv)
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        raise SystemExit(
            "error: the load needs PostgreSQL; set DATABASE_URL=postgres://postgres@127.0.0.1:5432/aivideo "
            "(the run makes and drops its own test_ database beside it)"
        )
    redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    os.environ["REDIS_URL"] = redis_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
    import django

    django.setup()
    # Imported once Django is set up: they load the shop's and the plugin's models.
    from django.conf import settings
    from django.core.signals import setting_changed
    from django.test.utils import setup_databases, teardown_databases

    from tests.load.scenario import LoadPlan, run_load
    from tests.services import moto_server
    from tests.stack import running_stack

    try:
        plan = LoadPlan.from_environment()
    except ValueError as exc:
        raise SystemExit(f"error: {exc}") from None
    folder = Path(tempfile.mkdtemp(prefix="bench-load-"))
    databases = setup_databases(verbosity=0, interactive=False, serialized_aliases=set())
    try:
        with moto_server(folder / "moto.log") as endpoint:
            with running_stack(settings, redis_url, endpoint, folder) as stack:
                # The stack pointed STORAGES at its bucket; announced as pytest's settings fixture does, so
                # that Django remakes the storage objects it had already made for the start-up settings.
                setting_changed.send(sender=None, setting="STORAGES", value=settings.STORAGES, enter=True)
                report = run_load(stack, plan)
    finally:
        teardown_databases(databases, verbosity=0)
    print(report.table())
    problems = report.problems()
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)
    if problems:
        print(f"the processes' logs are in {folder}/logs", file=sys.stderr)
        return 1
    shutil.rmtree(folder)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
