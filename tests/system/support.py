"""Helpers for the system tests: the command line in-process, on a copy of the specs."""

from __future__ import annotations

from click.testing import CliRunner

from reconciler.cli import main

INSTANT = "upload=0,dataset=0,refit=0,build=0,attribution=0,attribution_set=0"


def run(*args: str, input: str | None = None) -> tuple[int, str]:
    """``reconciler ARGS`` in-process: the exit code and everything printed (stdout and stderr)."""
    result = CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)
    return result.exit_code, result.output
