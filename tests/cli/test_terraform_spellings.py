"""Terraform's spellings of flags (``-auto-approve``, ``-out=FILE``, ``-json``…) are read as ours.

The rewriting is table-driven against the real commands; ``--help`` still
lists our spellings.  The end-to-end scenario that drives every command with
these spellings and checks the exit-code table is ``test_exit_code_table.py``.
"""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.cli.flags import Duration, terraform_spellings


def rewritten(words: tuple[str, ...], args: list[str]) -> list[str]:
    # A context as click makes it (help_option_names is inherited: click caches the help option).
    found: click.Command = main
    ctx = click.Context(main, info_name="reconciler", **main.context_settings)
    for word in words:
        assert isinstance(found, click.Group)
        found = found.commands[word]
        ctx = click.Context(found, info_name=word, parent=ctx)
    return terraform_spellings(found, ctx, args)


@pytest.mark.parametrize(
    ("words", "args", "expected"),
    [
        (("apply",), ["-auto-approve", "s.yaml"], ["--auto-approve", "s.yaml"]),
        (("plan",), ["-detailed-exitcode", "s.yaml"], ["--detailed-exitcode", "s.yaml"]),
        (("plan",), ["-out=p.json", "s.yaml"], ["-out=p.json", "s.yaml"]),  # -out is declared as it is
        (("plan",), ["-out", "p.json", "s.yaml"], ["-out", "p.json", "s.yaml"]),
        (
            ("plan",),
            ["-target=alviss.upload.a", "-replace=alviss.upload.b"],
            ["--target=alviss.upload.a", "--replace=alviss.upload.b"],
        ),
        (("plan",), ["-target", "alviss.upload.a"], ["--target", "alviss.upload.a"]),
        (("apply",), ["-lock-timeout=30s"], ["--lock-timeout=30s"]),
        (("plan",), ["-no-color"], ["--no-color"]),
        (("plan",), ["-json", "s.yaml"], ["--format=json", "s.yaml"]),
        (("apply",), ["-json"], ["--format=json"]),
        (("graph",), ["-format=mermaid"], ["--format=mermaid"]),
        (("graph",), ["-json"], ["--json"]),  # no JSON format: refused, naming the whole word
        (("drift",), ["-no-color", "s.yaml"], ["--no-color", "s.yaml"]),  # accepted by every command
        (("state", "rm"), ["-lock-timeout=5m", "s.yaml", "a"], ["--lock-timeout=5m", "s.yaml", "a"]),
        (("state", "migrate"), ["-to-spec=b.yaml"], ["--to-spec=b.yaml"]),
        (("init",), ["-platform=akkio", "-state", "postgres"], ["--platform=akkio", "--state", "postgres"]),
        (("emulator", "serve"), ["-port=9000", "-fault-rate", "-1"], ["--port=9000", "--fault-rate", "-1"]),
        # Go's booleans: -flag=true sets it, -flag=false leaves it off
        (("apply",), ["-auto-approve=true", "-detach=false"], ["--auto-approve"]),
        (("apply",), ["-auto-approve=maybe"], ["--auto-approve=maybe"]),  # click says it takes no value
        # left alone: ours, values, positionals, short options, after --
        (("apply",), ["--auto-approve", "--lock-timeout", "-5"], ["--auto-approve", "--lock-timeout", "-5"]),
        (("emulator", "serve"), ["--token", "-secret-", "alviss"], ["--token", "-secret-", "alviss"]),
        (("plan",), ["-h"], ["-h"]),
        (("plan",), ["-help"], ["--help"]),
        (("schema",), ["-oout.json"], ["-oout.json"]),  # -o with its value attached
        (("schema",), ["-output=s.json"], ["--output=s.json"]),
        (("plan",), ["--", "-auto-approve"], ["--", "-auto-approve"]),
        (("plan",), ["-", "-5"], ["-", "-5"]),
        # unknown words are named whole
        (("plan",), ["-lock=false"], ["--lock=false"]),
        (("plan",), ["-var-file=x.tfvars"], ["--var-file=x.tfvars"]),
        # a group reads its own options only, up to the subcommand
        ((), ["-version"], ["--version"]),
        ((), ["plan", "-auto-approve"], ["plan", "-auto-approve"]),
        (("state",), ["list", "-no-color"], ["list", "-no-color"]),
    ],
)
def test_rewriting(words: tuple[str, ...], args: list[str], expected: list[str]) -> None:
    assert rewritten(words, args) == expected


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("0", 0.0),
        ("30", 30.0),
        ("2.5", 2.5),
        ("30s", 30.0),
        ("5m", 300.0),
        ("1h", 3600.0),
        ("1m30s", 90.0),
        ("500ms", 0.5),
        ("1h2m3s", 3723.0),
        (" 10s ", 10.0),
        (7, 7.0),
    ],
)
def test_durations_in_terraforms_form_and_in_seconds(text: str | int, seconds: float) -> None:
    assert Duration().convert(text, None, None) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "abc", "5x", "s", "-5", "-5s", "5 m", "inf", "nan", "1m-3s"])
def test_what_is_not_a_duration_is_refused(text: str) -> None:
    with pytest.raises(click.BadParameter):
        Duration().convert(text, None, None)


def test_help_lists_our_spellings() -> None:
    result = CliRunner().invoke(main, ["apply", "-help"], prog_name="reconciler")
    assert result.exit_code == 0, result.output
    for ours in ("--auto-approve", "--lock-timeout DURATION", "--target ADDR", "--no-color", "--format"):
        assert ours in result.output
    assert "30s, 5m" in " ".join(result.output.split())
    assert (
        "--no-color" not in CliRunner().invoke(main, ["drift", "-h"]).output
    )  # hidden where it does nothing


def test_the_group_help_says_terraforms_spellings_work() -> None:
    output = CliRunner().invoke(main, ["-h"], prog_name="reconciler").output
    assert "-auto-approve" in output and "-out=FILE" in output
