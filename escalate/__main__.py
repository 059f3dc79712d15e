"""Allow ``python -m escalate``."""

import sys

from escalate.cli import main

sys.exit(main())
