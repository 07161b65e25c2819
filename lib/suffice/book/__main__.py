"""``python -m suffice.book ...``: the same command as ``suffice book ...`` (see :mod:`suffice.cli.book`)."""
from __future__ import annotations

import sys
from typing import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``suffice book`` with ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    from ..cli import main as suffice_main
    return suffice_main(["book", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
