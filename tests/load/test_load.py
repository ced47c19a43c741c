"""Under load the site keeps its promises: no server error, every job final exactly once, memory flat.

50 clients (``LOAD_CLIENTS``) call the job API and the editor panel's status endpoint for 60 s
(``LOAD_DURATION_S``) against gunicorn while 200 batch jobs (``LOAD_JOBS``) drain through two ``still``
runners; ``python -m bench.load`` runs the same and prints the figures.
"""

from __future__ import annotations

import pytest

from tests.load.scenario import run_load

pytestmark = [pytest.mark.load, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_api_and_panel_answer_without_errors_while_a_batch_drains_once_in_flat_memory(load_stack, load_plan):
    report = run_load(load_stack, load_plan)
    print(report.table())

    assert report.problems() == [], report.table()
