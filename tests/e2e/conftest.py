"""The whole flow on real services: PostgreSQL, Redis, an S3 server, and the runner and events worker.

Each test gets the test database (committed transactions, so the other processes see its rows), a clean Redis
database, a fresh bucket on a ``moto_server`` running on loopback, and a runner and an events worker started
with the same configuration as the test process (see :mod:`tests.stack`).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.services import moto_server
from tests.stack import Stack, running_stack


@pytest.fixture(scope="session")
def e2e_s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with moto_server(tmp_path_factory.mktemp("moto") / "moto.log") as endpoint:
        yield endpoint


@pytest.fixture
def stack(transactional_db, stub_broker, e2e_s3_endpoint, settings, tmp_path) -> Iterator[Stack]:
    with running_stack(settings, settings.REDIS_URL, e2e_s3_endpoint, tmp_path) as running:
        yield running
