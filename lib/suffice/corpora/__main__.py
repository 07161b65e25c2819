"""``python -m suffice.corpora ...``: the CLI's alias of ``suffice corpora ...`` (see :func:`suffice.cli.alias`)."""
import sys

from ..cli import alias

sys.exit(alias("corpora"))
