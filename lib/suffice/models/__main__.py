"""``python -m suffice.models ...``: the same command as ``suffice models ...`` (see :mod:`suffice.cli.models`)."""
from __future__ import annotations

import sys
from typing import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``suffice models`` with ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    from ..cli import main as suffice_main
    return suffice_main(["models", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
