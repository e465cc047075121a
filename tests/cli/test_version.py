"""``reconciler --version`` is answered before the command line (click, the commands) is imported."""

from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner

from reconciler.__main__ import VERSION_LINE
from reconciler.cli import main


def test_the_early_answer_is_the_command_lines_own() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output == VERSION_LINE + "\n"


def test_version_imports_neither_click_nor_the_commands() -> None:
    code = (
        "import sys; sys.argv = ['reconciler', '--version']\n"
        "from reconciler.__main__ import run\n"
        "run()\n"
        "print(sorted(m for m in sys.modules if m.startswith(('click', 'reconciler.cli', 'asyncio'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=30)
    assert out.stdout.splitlines() == [VERSION_LINE, "[]"]


def test_python_dash_m_answers_the_same() -> None:
    command = [sys.executable, "-m", "reconciler", "--version"]
    out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=30)
    assert out.stdout == VERSION_LINE + "\n"
