"""``python -m reconciler`` and the ``reconciler`` console script.

``reconciler --version`` is answered here, before the command line is imported:
it needs neither click nor any command module, so it costs little more than
starting Python.  Everything else goes to :data:`reconciler.cli.main`.
"""

from __future__ import annotations

import os
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
    # Set only here, for this program's own process (a library caller keeps its own):
    # - validation plug-ins are found by scanning every installed distribution's entry points
    #   (~10 ms of each start); the command line uses none;
    # - httpx imports its own command-line client (rich, pygments, click) whenever they are installed,
    #   a third of its import time; None in sys.modules makes that one import fail, and httpx then
    #   defines a stub instead (what it does when its command-line extras are not installed);
    # - httpcore imports trio whenever it is installed (a test tool's dependency brings it), to run
    #   under it; this program runs under asyncio only, and trio's import alone was ~70 ms;
    # - the emulators' web framework imports pydantic's v1 compatibility layer (~25 ms) to ask of
    #   every route's types whether they are v1 models; none here is, and without the layer it
    #   answers no.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    for unused in ("httpx._main", "trio", "pydantic.v1"):
        sys.modules.setdefault(unused, None)  # type: ignore[arg-type]
    from reconciler.cli import main

    main()


if __name__ == "__main__":
    run()
