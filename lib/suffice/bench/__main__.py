"""``python -m suffice.bench ...``: the same command as ``suffice bench ...`` (see :mod:`suffice.cli.bench`)."""
from __future__ import annotations

import sys
from typing import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``suffice bench`` with ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    from ..cli import main as suffice_main
    return suffice_main(["bench", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
