"""Allow ``python -m generator`` as well as the ``orgtrail-gen`` console script."""

from generator.cli import main

raise SystemExit(main())
