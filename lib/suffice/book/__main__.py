"""``python -m suffice.book ...``: the CLI's alias of ``suffice book ...`` (see :func:`suffice.cli.alias`)."""
import sys

from ..cli import alias

sys.exit(alias("book"))
