"""The command line: one command, ``suffice``, with one module per subcommand.

``suffice explain FILE --model NAME``, ``suffice predict FILE --model NAME`` (the model's class and
probabilities for one clip), ``suffice study --params FILE``, ``suffice book ...``, ``suffice corpora ...``,
``suffice models ...``, ``suffice bench ...``.  The ``python -m suffice.X`` entry points are aliases of
``suffice X``.

Exit codes: 0 success; 2 a user error (a bad option, file, name or parameter: a
:class:`~suffice.errors.SufficeError`, or argparse's usage error), printed as one line
``suffice: error: ...``; 1 a failure (the work ran but did not succeed, or an unexpected error, printed
as ``suffice: failed: ...``; set ``SUFFICE_DEBUG=1`` for the traceback); 130 after Ctrl-C, printed as
``suffice: interrupted: ...`` (for a study: how much is cached, and how to resume).  This package is a
leaf: nothing in the library imports it.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import traceback
from typing import Sequence

from ..errors import SufficeError
from . import bench, book, corpora, explain, models, predict, study

#: exit status of a user error, of a failure and of Ctrl-C
USER_ERROR, FAILURE, INTERRUPTED = 2, 1, 130
SUBCOMMANDS = (explain, predict, study, book, corpora, models, bench)


def build_parser() -> argparse.ArgumentParser:
    """The ``suffice`` parser with every subcommand."""
    ap = argparse.ArgumentParser(prog="suffice", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in SUBCOMMANDS:
        module.add(sub)
    return ap


def error(message: str) -> int:
    """Print ``suffice: error: message`` on stderr; the user-error exit status."""
    print(f"suffice: error: {message}", file=sys.stderr)
    return USER_ERROR


def _ignore_sigint() -> None:
    """Ignore further Ctrl-C in this process (possible in the main thread only)."""
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``suffice`` with ``argv`` (default ``sys.argv[1:]``); returns the exit status.  After Ctrl-C
    it returns 130 and leaves Ctrl-C ignored: the process is expected to exit."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SufficeError as exc:
        return error(str(exc))
    except KeyboardInterrupt as exc:  # a StudyInterrupted says what is cached and how to resume
        # the process is about to exit: a second Ctrl-C must not break this message, nor the shutdown
        # that follows (it joins the worker pools' threads), with a traceback
        _ignore_sigint()
        message = str(exc).strip()
        print(f"suffice: interrupted: {message}" if message else "suffice: interrupted", file=sys.stderr)
        return INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - one line for the user, the traceback on request
        if os.environ.get("SUFFICE_DEBUG", "").strip() not in ("", "0"):
            traceback.print_exc()
        print(f"suffice: failed: {type(exc).__name__}: {exc} (SUFFICE_DEBUG=1 shows the traceback)",
              file=sys.stderr)
        return FAILURE


def alias(command: str) -> int:
    """``python -m suffice.<command> ARGS`` as ``suffice <command> ARGS``."""
    return main([command, *sys.argv[1:]])


__all__ = ["main", "build_parser", "alias", "USER_ERROR", "FAILURE", "INTERRUPTED"]
