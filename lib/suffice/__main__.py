"""``python -m suffice``: the ``suffice`` command."""
import sys

from .cli import main

sys.exit(main())
