"""``python -m credit``: the platform's command line."""

import sys

from credit.cli import main

sys.exit(main())
