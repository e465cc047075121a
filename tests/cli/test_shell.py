"""What the shell gives: click's completion (run through bash itself) and examples in every ``--help``."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from reconciler.cli import main
from tests.support import REPO
from tests.system.support import INSTANT


def commands(
    group: click.Group = main, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    """Every command and group under ``group``, with the words that name it."""
    for name, command in sorted(group.commands.items()):
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))


def example_lines(help_text: str) -> list[str]:
    lines = help_text.splitlines()
    start = lines.index("  Examples:") + 1
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    return [line.strip() for line in lines[start:end]]


def parse(words: list[str]) -> click.Context:
    """``reconciler WORDS`` parsed as the command line would (a UsageError if not), without running it."""
    command: click.Command | None = main
    name, parent = "reconciler", None
    while isinstance(command, click.Group):
        parent = command.make_context(name, [], parent=parent, resilient_parsing=True)
        name, words = words[0], words[1:]
        command = command.get_command(parent, name)
        assert command is not None, f"no command {name}"
    assert command is not None
    return command.make_context(name, words, parent=parent)


@pytest.mark.parametrize(
    ("path", "command"),
    list(commands()),
    ids=lambda value: " ".join(value) if isinstance(value, tuple) else "",
)
def test_every_help_ends_with_examples_of_that_command_that_parse(
    path: tuple[str, ...], command: click.Command
) -> None:
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    examples = example_lines(result.output)
    assert examples, f"reconciler {' '.join(path)} --help shows no example"
    for example in examples:
        text = example.split("  #", 1)[0]
        for part in text.split(" && "):
            words = shlex.split(re.split(r" [|>] ", part)[0])
            assert words[: len(path) + 1] == ["reconciler", *path], example
            parse(words[1:])  # raises a UsageError if an example went stale


def test_the_top_help_says_how_to_turn_completion_on() -> None:
    output = CliRunner().invoke(main, ["--help"]).output
    assert 'eval "$(_RECONCILER_COMPLETE=bash_source reconciler)"' in output
    readme = (REPO / "README.md").read_text()
    assert "### Shell completion" in readme
    assert 'eval "$(_RECONCILER_COMPLETE=bash_source reconciler)"' in readme


def test_the_readme_examples_parse() -> None:
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("## Examples and shell completion") : readme.index("### Shell completion")]
    block = section[section.index("```sh\n") + 6 : section.index("```\n", section.index("```sh\n") + 6)]
    examples = block.splitlines()
    assert len(examples) >= 5
    for example in examples:
        for part in example.split("  #", 1)[0].split(" && "):
            words = shlex.split(part)
            assert words[0] == "reconciler", example
            parse(words[1:])


# --- completion, through the shells' own scripts ------------------------------------------------------


def env() -> dict[str, str]:
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}


@pytest.mark.parametrize(
    ("shell", "marker"),
    [
        ("bash", "complete -o nosort -F _reconciler_completion reconciler"),
        ("zsh", "#compdef reconciler"),
        ("fish", "complete --no-files --command reconciler"),
    ],
)
def test_each_shell_gets_its_script(shell: str, marker: str) -> None:
    script = subprocess.run(
        ["reconciler"],
        env={**env(), "_RECONCILER_COMPLETE": f"{shell}_source"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert marker in script


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    monkeypatch.setenv("RECONCILER_EMULATOR_DIR", str(tmp_path / "emulators"))
    monkeypatch.setenv("RECONCILER_EMULATOR_DURATIONS", INSTANT)
    return tmp_path


def complete(line: str, cwd: Path) -> list[str]:
    """What bash offers for ``line`` (completing its last word) with click's script loaded."""
    script = (
        'eval "$(_RECONCILER_COMPLETE=bash_source reconciler)"\n'
        f"COMP_WORDS=({line})\n"
        "COMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n"
        '_reconciler_completion reconciler\nprintf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    done = subprocess.run(
        ["bash", "-c", script], cwd=cwd, env=env(), capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return [word for word in done.stdout.splitlines() if word]


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completes_commands_options_addresses_and_emulators(project: Path) -> None:
    assert complete("reconciler pl", project) == ["plan"]
    assert complete("reconciler state r", project) == ["rm"]
    assert "--detailed-exitcode" in complete("reconciler plan specs/demo.yaml --d", project)
    assert complete("reconciler plan specs/demo.yaml --target alviss.up", project) == [
        "alviss.upload.media_w47",
        "alviss.upload.sales_w47",
    ]
    assert complete("reconciler plan -out x specs/demo.yaml --replace alviss.a", project) == [
        "alviss.active_dataset.main"
    ]
    assert complete("reconciler import specs/demo.yaml alviss.upload.s", project) == [
        "alviss.upload.sales_w47"
    ]
    assert complete("reconciler emulator serve s", project) == ["sony_epa"]
    assert complete("reconciler init --platform a", project) == ["akkio", "alviss"]
    # state commands offer what the state records: after a targeted apply, only that.
    applied = subprocess.run(
        ["reconciler", "apply", "specs/demo.yaml", "--auto-approve", "--target", "alviss.upload.sales_w47"],
        cwd=project,
        env=env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert applied.returncode == 0, applied.stderr
    assert complete("reconciler state rm specs/demo.yaml alviss.", project) == ["alviss.upload.sales_w47"]
    # Nothing to offer is nothing, never an error: an unreadable spec, or none.
    (project / "broken.yaml").write_text("resources: [\n")
    assert complete("reconciler plan broken.yaml --target a", project) == []
    assert complete("reconciler plan --target a", project) == []
