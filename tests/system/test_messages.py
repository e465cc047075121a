"""Messages that tell a user what to do next: each command they print is run, as printed.

The lock hint's ``force-unlock``, ``init``'s next steps and the targeting
warning's ``plan`` are taken out of the output and executed through a shell,
from the directory the first command ran in, with the spec path as the user
gave it (spaces included).
"""

from __future__ import annotations

import json
import os
import queue
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

from reconciler import platforms
from reconciler.state.local import LocalBackend
from tests.support import REPO

from .support import INSTANT

SPEC = "specs/my demo.yaml"  # a space: the printed commands must quote it
SALES, MEDIA, ACTIVE = "alviss.upload.sales_w47", "alviss.upload.media_w47", "alviss.active_dataset.main"


def shell(command: str, cwd: Path, *, input: str | None = None) -> subprocess.CompletedProcess[str]:
    """``command`` pasted into a shell in ``cwd``, with this checkout's reconciler first on PATH."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(
        ["sh", "-c", command],
        cwd=cwd,
        env=env,
        input=input,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def quoted_commands(text: str) -> list[str]:
    """The commands a message shows between backquotes."""
    return re.findall(r"`(reconciler [^`]*)`", text)


@pytest.fixture
def copied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the example specs, the demo renamed to a path with a space."""
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    (tmp_path / "specs" / "demo.yaml").rename(tmp_path / SPEC)
    monkeypatch.setenv("RECONCILER_EMULATOR_DIR", str(tmp_path / "emulators"))
    monkeypatch.setenv("RECONCILER_EMULATOR_DURATIONS", INSTANT)
    return tmp_path


@pytest.fixture
def project(copied: Path) -> Path:
    """The copy, with the demo applied."""
    applied = shell(f"reconciler apply '{SPEC}' --auto-approve", copied)
    assert applied.returncode == 0, applied.stderr
    return copied


# --- the lock hint ------------------------------------------------------------------------------


def test_the_lock_hint_prints_a_force_unlock_that_works_as_printed(project: Path) -> None:
    backend = LocalBackend(project / "state" / "demo.json")
    with backend.lock(operation="apply") as info:
        refused = shell(f"reconciler state rm '{SPEC}' {SALES}", project)
        assert refused.returncode == 1
        assert "Traceback" not in refused.stderr
        [command] = quoted_commands(refused.stderr)
        assert command == f"reconciler force-unlock '{SPEC}' {info.id}"

        # The same hint from apply, and from force-unlock given a wrong id.
        for refused_too in (
            shell(f"reconciler apply '{SPEC}' --auto-approve", project),
            shell(f"reconciler force-unlock '{SPEC}' not-the-id", project),
        ):
            assert refused_too.returncode == 1
            assert quoted_commands(refused_too.stderr) == [command]

        unlocked = shell(command, project)
        assert unlocked.returncode == 0, unlocked.stderr
        assert f"Lock {info.id} removed." in unlocked.stdout
    assert shell(f"reconciler state rm '{SPEC}' {SALES}", project).returncode == 0


# --- state list and show ------------------------------------------------------------------------


def test_state_list_and_show_are_sorted_by_address(project: Path) -> None:
    listed = shell(f"reconciler state list '{SPEC}'", project)
    assert listed.returncode == 0, listed.stderr
    addresses = [line.split("\t")[0] for line in listed.stdout.splitlines()]
    assert addresses == sorted([SALES, MEDIA, ACTIVE])

    shown = shell(f"reconciler show '{SPEC}'", project)
    assert shown.returncode == 0, shown.stderr
    addresses = [line.split()[0] for line in shown.stdout.splitlines() if line.startswith("  ")]
    assert addresses == sorted([SALES, MEDIA, ACTIVE])


# --- targeting ----------------------------------------------------------------------------------

TARGETING = [
    "Warning: Resource targeting is in effect",
    "You are creating a plan with the --target option, which means that the result of",
    "this plan may not represent all of the changes requested by the current spec.",
    "The --target option is not for routine use, and is provided only for exceptional",
]


def test_a_targeted_plan_and_apply_print_terraforms_warnings(copied: Path) -> None:
    untargeted = shell(f"reconciler plan '{SPEC}'", copied)
    assert untargeted.returncode == 0 and "Warning" not in untargeted.stdout + untargeted.stderr

    planned = shell(f"reconciler plan '{SPEC}' --target {SALES} --no-color", copied)
    assert planned.returncode == 0, planned.stderr
    lines = planned.stdout.splitlines()
    assert lines[lines.index(TARGETING[0]) - 2].startswith("Plan: 1 to create")
    assert all(line in lines for line in TARGETING)

    as_json = shell(f"reconciler plan '{SPEC}' --target {SALES} --format json", copied)
    assert json.loads(as_json.stdout)["targets"] == [SALES]  # stdout stays one document
    assert TARGETING[0] in as_json.stderr
    as_markdown = shell(f"reconciler plan '{SPEC}' --target {SALES} --format markdown", copied)
    assert f"> **Warning: Resource targeting is in effect.** This plan covers only `{SALES}`" in (
        as_markdown.stdout
    )

    applied = shell(f"reconciler apply '{SPEC}' --target {SALES} --auto-approve --no-color", copied)
    assert applied.returncode == 0, applied.stderr
    lines = applied.stdout.splitlines()
    assert TARGETING[0] in lines
    warning = lines.index("Warning: Applied changes may be incomplete")
    assert lines[warning + 2 : warning + 6] == [
        "The plan was created with the --target option in effect, so some changes",
        "requested in the spec may have been ignored. Run the following command to verify",
        "that no other changes are pending:",
        f"    reconciler plan '{SPEC}'",
    ]
    # The command it names, as printed, shows what the targeted apply left out.
    pending = shell(lines[warning + 5].strip() + " --detailed-exitcode", copied)
    assert pending.returncode == 2, pending.stderr
    assert f"+ {MEDIA}" in pending.stdout and f"+ {SALES}" not in pending.stdout
    assert "Warning" not in pending.stdout


def test_a_saved_targeted_plan_warns_when_applied(copied: Path) -> None:
    saved = shell(f"reconciler plan '{SPEC}' --target {SALES} -out 'my plan.json'", copied)
    assert saved.returncode == 0, saved.stderr
    [command] = [
        line.split(": ", 1)[1] for line in saved.stdout.splitlines() if line.startswith("Saved the plan")
    ]
    assert command == "reconciler apply 'my plan.json'"
    applied = shell(command + " --no-color", copied)
    assert applied.returncode == 0, applied.stderr
    assert TARGETING[0] in applied.stdout
    assert "Warning: Applied changes may be incomplete" in applied.stdout


# --- init's next steps --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("platform", "directory"),
    [("alviss", "."), ("akkio", "infra"), ("sony_epa", "two levels/with a space"), ("datrics", "ABSOLUTE")],
)
def test_init_prints_next_steps_that_work_from_where_it_ran(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, platform: str, directory: str
) -> None:
    from reconciler.emulators import JOB_KINDS

    monkeypatch.setenv("RECONCILER_EMULATOR_DURATIONS", ",".join(f"{kind}=0" for kind in JOB_KINDS[platform]))
    monkeypatch.delenv("RECONCILER_EMULATOR_DIR", raising=False)
    where = tmp_path / "here"
    where.mkdir()
    target = str(tmp_path / "elsewhere" / "repo") if directory == "ABSOLUTE" else directory
    created = shell(f"reconciler init {shlex.quote(target)} --platform {platform}", where)
    assert created.returncode == 0, created.stderr
    lines = created.stdout.splitlines()
    steps = [line.strip() for line in lines[lines.index("Next, from this directory:") + 1 :]]
    assert [step.split()[1] for step in steps] == ["validate", "plan", "apply"]

    validated, planned = shell(steps[0], where), shell(steps[1], where)
    assert validated.returncode == 0, validated.stderr
    assert planned.returncode == 0, planned.stderr
    assert "to create" in planned.stdout
    applied = shell(steps[2], where, input="y\n")  # it asks, as printed
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert shell(steps[1] + " --detailed-exitcode", where).returncode == 0


# --- emulator serve -----------------------------------------------------------------------------


def served_block(process: subprocess.Popen[str]) -> tuple[str, str]:
    """The base URL and the provider block ``emulator serve`` prints once it listens."""
    assert process.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout or ()], daemon=True).start()
    printed: list[str] = []
    while not printed or not printed[-1].startswith("Objects, requests and injected faults:"):
        try:
            printed.append(lines.get(timeout=30).rstrip("\n"))
        except queue.Empty:
            pytest.fail(f"emulator serve printed no provider block: {printed}")
    base = printed[0].split(" at ", 1)[1].split(";", 1)[0]
    start = printed.index("providers:")
    return base, "\n".join(printed[start : printed.index("", start)]) + "\n"


@pytest.mark.parametrize("platform", platforms.NAMES)
def test_emulator_serve_prints_a_provider_block_a_spec_converges_with(tmp_path: Path, platform: str) -> None:
    from reconciler.emulators import JOB_KINDS
    from reconciler.providers.registry import PLATFORMS

    instant = ",".join(f"{kind}=0" for kind in JOB_KINDS[platform])
    command = [str(Path(sys.executable).parent / "reconciler"), "emulator", "serve", platform]
    command += ["--port", "0", "--data", str(tmp_path / "world"), "--durations", instant]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as process:
        try:
            base, block = served_block(process)
            assert re.fullmatch(r"http://127\.0\.0\.1:\d+", base)
            assert f"    endpoint: {base}{PLATFORMS[platform].api_path}\n" in block
            variable = re.search(r"\$\{env:(\w+)\}", block)
            assert variable is not None

            # init's spec for the platform, with the printed block pasted over its providers.
            assert shell(f"reconciler init repo --platform {platform}", tmp_path).returncode == 0
            spec = tmp_path / "repo" / "spec.yaml"
            text = spec.read_text()
            text = text[: text.index("providers:")] + block + "\n" + text[text.index("resources:") :]
            spec.write_text(text)
            env = f"{variable.group(1)}=any-value"
            for step, expected in (("plan", 0), ("apply --auto-approve", 0), ("plan --detailed-exitcode", 0)):
                done = shell(f"{env} reconciler {step} repo/spec.yaml", tmp_path)
                assert done.returncode == expected, done.stdout + done.stderr
            with urllib.request.urlopen(f"{base}/_emulator/stats", timeout=10) as answer:
                stats = json.loads(answer.read())
            assert sum(stats["requests"].values()) > 0, "plan and apply went to the served emulator"
            assert sum(stats["objects"].values()) > 0, "apply made its objects there"
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=30)


def test_emulator_serve_on_a_port_in_use_says_what_to_do(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        refused = shell(f"reconciler emulator serve alviss --port {port} --data world", tmp_path)
    assert refused.returncode == 1
    assert f"Error: could not serve the alviss emulator on 127.0.0.1:{port}: " in refused.stderr
    assert "--port 0 takes a free one" in refused.stderr
    assert "Traceback" not in refused.stderr
