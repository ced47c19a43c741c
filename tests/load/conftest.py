"""Fixtures of the load test: the end-to-end stack (PostgreSQL, Redis, an S3 server, the events worker and a
runner as processes) and the plan read from the ``LOAD_*`` environment variables."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.load.scenario import LoadPlan
from tests.services import moto_server
from tests.stack import Stack, running_stack


@pytest.fixture
def load_plan() -> LoadPlan:
    try:
        return LoadPlan.from_environment()
    except ValueError as exc:
        pytest.fail(str(exc))


@pytest.fixture
def load_stack(transactional_db: Any, stub_broker: Any, settings: Any, tmp_path: Path) -> Iterator[Stack]:
    with moto_server(tmp_path / "moto.log") as endpoint:
        with running_stack(settings, settings.REDIS_URL, endpoint, tmp_path) as stack:
            yield stack
