"""Where the Hallo2 spec files live: ``$HALLO2_SPEC_DIR`` when set, else the shared folder beside the
checkout, else `tests/data/hallo2`.

They are the parity spec, so a missing file fails the test that needs it; it is never skipped.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_REPO = Path(__file__).resolve().parents[3]
# The variable serves hosts where the checkout travels without its neighbours (a GPU machine, say).
SEARCH_DIRS = (
    *([Path(os.environ["HALLO2_SPEC_DIR"])] if os.environ.get("HALLO2_SPEC_DIR") else []),
    _REPO.parent / "shared" / "hallo2",
    _REPO / "tests" / "data" / "hallo2",
)


def spec_file(name: str) -> Path:
    """``name`` relative to the hallo2 spec folder, e.g. ``net_keys.json`` or ``goldens/golden_step.pt``."""
    candidates = [folder / name for folder in SEARCH_DIRS]
    for path in candidates:
        if path.is_file():
            return path
    pytest.fail(f"Hallo2 spec file missing: looked for {', '.join(map(str, candidates))}")


def golden_path(name: str) -> Path:
    return spec_file(f"goldens/{name}")
