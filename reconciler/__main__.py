"""``python -m reconciler`` and the ``reconciler`` console script.

``reconciler --version`` is answered here, before the command line is imported:
it needs neither click nor any command module, so it costs little more than
starting Python.  Everything else goes to :data:`reconciler.cli.main`.
"""

from __future__ import annotations

import sys

from reconciler import __version__

__all__ = ["VERSION_LINE", "run"]

#: What ``--version`` prints: the wording of click's ``version_option``, so both ways agree.
VERSION_LINE = f"reconciler, version {__version__}"


def run() -> None:
    """Run the command line on ``sys.argv``; a lone ``--version`` is answered without importing it."""
    if sys.argv[1:] == ["--version"]:
        print(VERSION_LINE)
        return
    from reconciler.cli import main

    main()


if __name__ == "__main__":
    run()
