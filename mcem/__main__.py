"""``python -m mcem`` is the ``mcem`` command."""

from mcem.cli import main

raise SystemExit(main())
