"""``python -m suffice.bench ...``: the CLI's alias of ``suffice bench ...`` (see :func:`suffice.cli.alias`)."""
import sys

from ..cli import alias

sys.exit(alias("bench"))
