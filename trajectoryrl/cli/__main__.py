"""python -m trajectoryrl.cli: the same as the trajectoryrl command."""

from trajectoryrl.cli import main

raise SystemExit(main())
