"""``python -m clawbench.cli``: the same as the ``clawbench`` command."""

from clawbench.cli import main

raise SystemExit(main())
