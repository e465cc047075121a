"""Every command, given bad arguments, ends with a clean error and exit 1 (never 2, never a traceback).

The cases are made from the commands themselves (walked from the group), so a
command or option added later is covered without touching this file: an
unknown option, a missing argument, a value outside an option's choices, a
value of the wrong type, and a SPEC that is no spec (empty, a directory
without specs, missing, a device, binary, a YAML list).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from reconciler.cli import main


def commands(
    group: click.Group = main, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    """Every command reachable from ``group``, as (its words, the command)."""
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))
        else:
            yield (*path, name), command


def arguments(command: click.Command) -> list[str]:
    """A placeholder for each positional argument (nothing runs: an option error comes first)."""
    return [
        "x"
        for param in command.params
        if isinstance(param, click.Argument) and (param.required or param.nargs == -1)
    ]


def bad_values(command: click.Command) -> Iterator[tuple[str, str, str]]:
    """(option, a value it refuses, a word the error must contain) for each option with a checked type."""
    for param in command.params:
        if not isinstance(param, click.Option) or param.is_flag or not param.opts:
            continue
        option = max(param.opts, key=len)
        if isinstance(param.type, click.Choice):
            yield option, "not-a-choice", "not one of"
        elif isinstance(param.type, click.types._NumberParamTypeBase) or getattr(param.type, "name", "") in (
            "duration",
        ):
            yield option, "abc", "abc"


def required_arguments(command: click.Command) -> list[click.Argument]:
    return [param for param in command.params if isinstance(param, click.Argument) and param.required]


COMMANDS = list(commands())
IDS = [" ".join(words) for words, _ in COMMANDS]
#: Only the commands each case applies to: a case that cannot apply is not generated (no skips).
WITH_ARGUMENTS = [(words, command) for words, command in COMMANDS if required_arguments(command)]
WITH_CHECKED_OPTIONS = [(words, command) for words, command in COMMANDS if list(bad_values(command))]


def invoke(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(main, args, prog_name="reconciler")
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.output


def assert_clean_usage_error(code: int, output: str, words: tuple[str, ...], *expected: str) -> None:
    assert code == 1, output
    assert "Traceback" not in output
    assert "Error: " in output
    assert f"Try 'reconciler {' '.join(words)} --help' for help." in output, output
    for text in expected:
        assert text in output, output


@pytest.fixture(autouse=True)
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # whatever a command might write, it writes here


def test_every_command_is_walked() -> None:
    assert {"plan", "apply", "validate", "drift", "show", "state list", "emulator serve"} <= set(IDS)
    assert {"plan", "apply", "import", "state rm"} <= {" ".join(w) for w, _ in WITH_ARGUMENTS}
    assert {"plan", "apply", "emulator serve"} <= {" ".join(w) for w, _ in WITH_CHECKED_OPTIONS}
    assert {"plan", "apply", "show", "drift", "state rm", "import"} <= {" ".join(w) for w, _ in TAKES_A_SPEC}


@pytest.mark.parametrize(("words", "command"), COMMANDS, ids=IDS)
def test_an_unknown_option_exits_1_naming_it(words: tuple[str, ...], command: click.Command) -> None:
    code, output = invoke([*words, *arguments(command), "--no-such-flag"])
    assert_clean_usage_error(code, output, words, "No such option", "--no-such-flag")


@pytest.mark.parametrize(("words", "command"), WITH_ARGUMENTS, ids=[" ".join(w) for w, _ in WITH_ARGUMENTS])
def test_a_missing_argument_exits_1_naming_it(words: tuple[str, ...], command: click.Command) -> None:
    required = required_arguments(command)
    code, output = invoke(list(words))
    assert_clean_usage_error(
        code, output, words, "Missing argument", required[0].make_metavar(click.Context(command))
    )


@pytest.mark.parametrize(
    ("words", "command"), WITH_CHECKED_OPTIONS, ids=[" ".join(w) for w, _ in WITH_CHECKED_OPTIONS]
)
def test_a_bad_choice_or_value_exits_1_naming_the_option(
    words: tuple[str, ...], command: click.Command
) -> None:
    cases = list(bad_values(command))
    for option, value, expected in cases:
        code, output = invoke([*words, *arguments(command), option, value])
        assert_clean_usage_error(code, output, words, f"Invalid value for '{option}'", expected)


@pytest.mark.parametrize("args", [[], ["no-such-command"], ["--no-such-flag"], ["state"], ["emulator"]])
def test_the_groups_usage_errors_exit_1(args: list[str]) -> None:
    code, output = invoke(args)
    assert code == 1, output
    assert "Traceback" not in output
    assert "Usage: reconciler" in output


@pytest.mark.parametrize(
    "args", [["-h"], ["--help"], ["plan", "-h"], ["state", "list", "--help"], ["--version"]]
)
def test_help_and_version_still_exit_0(args: list[str]) -> None:
    code, output = invoke(args)
    assert code == 0, output


BAD_SPECS = {
    "empty name": "",
    "a directory without specs": "nothing-here",
    "missing": "nope.yaml",
    "a device": "/dev/null",
    "binary": "binary.yaml",
    "a YAML list": "list.yaml",
    "not YAML": "broken.yaml",
}


def is_spec(param: click.Parameter, command: click.Command) -> bool:
    """An argument that takes a spec (``SPEC``, ``SPEC|PLANFILE``), required or not."""
    return isinstance(param, click.Argument) and "SPEC" in param.make_metavar(click.Context(command))


TAKES_A_SPEC = [
    (words, command) for words, command in COMMANDS if any(is_spec(p, command) for p in command.params)
]


def with_spec(command: click.Command, spec: str) -> list[str]:
    """The command's arguments with ``spec`` as SPEC, placeholders for the rest, and its required options."""
    args: list[str] = []
    for param in command.params:
        if is_spec(param, command):
            args.append(spec)
        elif isinstance(param, click.Argument) and (param.required or param.nargs == -1):
            args.append("x")
        elif isinstance(param, click.Option) and param.required:
            args += [max(param.opts, key=len), "x"]
    return args


@pytest.mark.parametrize(
    ("words", "command"), TAKES_A_SPEC, ids=[" ".join(words) for words, _ in TAKES_A_SPEC]
)
def test_a_spec_that_is_no_spec_is_a_clean_error(
    words: tuple[str, ...], command: click.Command, tmp_path: Path
) -> None:
    (tmp_path / "nothing-here").mkdir()
    (tmp_path / "binary.yaml").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "list.yaml").write_text("- a\n- b\n")
    (tmp_path / "broken.yaml").write_text("resources: {a: [\n")
    for why, spec in BAD_SPECS.items():
        code, output = invoke([*words, *with_spec(command, spec)])
        assert code == 1, (why, output)
        assert "Error: " in output, (why, output)
        assert "Traceback" not in output and "unexpected internal error" not in output, (why, output)


def test_emulator_serve_refuses_what_it_cannot_serve_on() -> None:
    code, output = invoke(["emulator", "serve", "alviss", "--port", "99999"])
    assert_clean_usage_error(code, output, ("emulator", "serve"), "0<=x<=65535")
    code, output = invoke(["emulator", "serve", "alviss", "--fault-kinds", "bogus"])
    assert (code, "Traceback" in output) == (1, False), output
    assert "unknown fault kind 'bogus'" in output and "fault kinds: 500" in output
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        code, output = invoke(["emulator", "serve", "alviss", "--port", port])
    assert code == 1, output  # not uvicorn's 3
    assert f"could not serve the alviss emulator on 127.0.0.1:{port}" in output
    assert "choose another --port" in output and "Traceback" not in output


@pytest.mark.parametrize("args", [["init", "a-file/infra"], ["schema", "-o", "a-file/schema.json"]])
def test_a_path_that_cannot_be_written_is_a_clean_error(args: list[str], tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a directory\n")
    code, output = invoke(args)
    assert code == 1, output
    assert "Error: cannot write a-file/" in output and "choose a path you can write to" in output
    assert "Traceback" not in output and "unexpected internal error" not in output
