"""An exception nobody expected: one line, a crash report with the details (secrets masked), exit 1.

The exception is forced in a real process (the plan's selection step replaced by one
that raises, quoting the token in several encodings), the way a bug would
surface; the spec reads the token through ``${env:ALVISS_TOKEN}``.
"""

from __future__ import annotations

import base64
import json
import stat
import subprocess
import sys
from pathlib import Path

from tests.cli.test_demo_and_secrets import INSTANT, base_env, checkout

__all__ = ["checkout"]

CANARY = "canary-3b9f1d6e-token-do-not-print"

FORCED = """
import base64, json, os, sys
import reconciler.workflow as workflow

def broken(*args, **kwargs):
    token = os.environ.get("ALVISS_TOKEN", "no-token")
    raise RuntimeError(
        f"boom {token} {json.dumps({'t': token + chr(10)})} {token.encode()!r} "
        f"{base64.b64encode(('user:' + token).encode()).decode()}"
    )

workflow.select = broken
from reconciler.cli import main
sys.argv = ["reconciler", *sys.argv[1:]]
main()
"""


def forced(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", FORCED, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def forms(secret: str) -> list[str]:
    return [secret, secret[6:-6], base64.b64encode(f"user:{secret}".encode()).decode()[8:-8]]


def demo_with_token(checkout: Path) -> Path:
    spec = checkout / "specs" / "demo.yaml"
    spec.write_text(spec.read_text().replace("# token: ${env:ALVISS_TOKEN}", "token: ${env:ALVISS_TOKEN}"))
    return spec


def test_an_unexpected_exception_is_one_line_and_a_redacted_report(checkout: Path) -> None:
    demo_with_token(checkout)
    env = base_env(ALVISS_TOKEN=CANARY, RECONCILER_EMULATOR_DURATIONS=INSTANT)
    for command in (["plan", "specs/demo.yaml"], ["apply", "--auto-approve", "specs/demo.yaml"]):
        result = forced(*command, cwd=checkout, env=env)
        assert result.returncode == 1, result.stderr
        lines = result.stderr.splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("Error: unexpected internal error (RuntimeError: boom ***"), lines[0]
        assert "Traceback" not in result.stdout + result.stderr
        for form in forms(CANARY):
            assert form not in result.stdout + result.stderr
        report = Path(lines[0].split("details in ", 1)[1].split(". Nothing", 1)[0])
        if not report.is_absolute():
            report = checkout / report
        assert report.parent == checkout / ".reconciler" / "crash"
        assert stat.S_IMODE(report.stat().st_mode) == 0o600
        text = report.read_text()
        assert "Traceback (most recent call last)" in text
        assert "in broken" in text and "RuntimeError: boom ***" in text
        assert f"command:  reconciler {' '.join(command)}" in text
        for form in forms(CANARY):
            assert form not in text, form
        assert json.dumps(CANARY + "\n")[1:-1] not in text
    assert not (checkout / "state" / "demo.json").exists()  # the plan never existed: nothing applied


def test_the_report_goes_elsewhere_when_the_directory_is_not_writable(checkout: Path) -> None:
    (checkout / ".reconciler").mkdir()
    (checkout / ".reconciler" / "crash").write_text("a file where the directory would be")
    chosen = checkout / "reports"
    env = base_env(RECONCILER_CRASH_DIR=str(chosen / "x"), RECONCILER_EMULATOR_DURATIONS=INSTANT)
    chosen.write_text("not a directory either")
    result = forced("plan", "specs/demo.yaml", cwd=checkout, env=env)
    assert result.returncode == 1
    assert len(result.stderr.splitlines()) == 1, result.stderr
    report = Path(result.stderr.split("details in ", 1)[1].split(". Nothing", 1)[0])
    assert report.is_absolute() and report.exists()
    assert "RuntimeError" in report.read_text()
    report.unlink()


def test_a_reader_that_goes_away_is_not_a_crash(checkout: Path) -> None:
    """``reconciler … | head``: the broken pipe ends the command quietly, without a report."""
    script = (
        "import sys, click\n"
        "from reconciler.cli.group import main\n"
        "@main.command()\n"
        "def spam():\n"
        "    for _ in range(200_000): click.echo('x' * 80)\n"
        "sys.argv = ['reconciler', 'spam']\n"
        "main()\n"
    )
    reader = subprocess.Popen(["head", "-c", "10"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=checkout,
        env=base_env(),
        stdout=reader.stdin,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
    )
    assert reader.stdin is not None
    reader.stdin.close()
    reader.wait(timeout=10)
    assert result.returncode == 1
    assert result.stderr == ""
    assert not (checkout / ".reconciler" / "crash").exists()
