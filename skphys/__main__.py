"""``python -m skphys``: the tour (see :mod:`skphys._tour`)."""

import sys

from skphys._tour import main

sys.exit(main())
