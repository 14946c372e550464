"""``python -m tests.zoo --matrix docs/kill-matrix.md``: the zoo's kill matrix.

See :mod:`tests.zoo._matrix`.
"""

import sys

from ._matrix import main

sys.exit(main())
