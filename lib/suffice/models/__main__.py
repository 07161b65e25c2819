"""``python -m suffice.models ...``: the CLI's alias of ``suffice models ...`` (see :func:`suffice.cli.alias`)."""
import sys

from ..cli import alias

sys.exit(alias("models"))
