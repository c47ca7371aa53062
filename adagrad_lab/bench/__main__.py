"""``python -m adagrad_lab.bench``: the benchmark command."""

import sys

from .command import main

sys.exit(main())
