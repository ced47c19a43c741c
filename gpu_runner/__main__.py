"""``python -m gpu_runner``: see :mod:`gpu_runner.cli`."""

import sys

from .cli import main

sys.exit(main())
