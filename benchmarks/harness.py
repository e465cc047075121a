"""What every workload needs: served emulators, timed subprocesses, the machine's description.

Workloads run the reconciler as a user does, as a subprocess, against an
emulator served by ``reconciler emulator serve`` in another subprocess on a
free loopback port.  Each subprocess is reaped with ``os.wait4`` so its own
peak RSS and CPU time are known without psutil.  Servers are always stopped
and temporary directories removed, also when a workload fails.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "benchmark-token-not-a-secret"
TEAM = 1


def reconciler_command() -> list[str]:
    """The installed ``reconciler`` script next to this interpreter, else ``python -m reconciler``."""
    script = Path(sys.executable).with_name("reconciler")
    return [str(script)] if script.exists() else [sys.executable, "-m", "reconciler"]


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.partition(":")[2].strip()
                break
    return {
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def durations_text(durations: Mapping[str, float]) -> str:
    return ",".join(f"{kind}={seconds:g}" for kind, seconds in durations.items())


@dataclass
class Emulator:
    """An Alviss emulator served over HTTP by a subprocess."""

    base: str
    data_dir: Path
    process: subprocess.Popen[bytes]

    @property
    def api(self) -> str:
        return f"{self.base}/api/v1/api"

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.base}/_emulator/stats", timeout=30) as response:
            data: dict[str, Any] = json.loads(response.read())
        return data

    def reset_stats(self) -> None:
        request = urllib.request.Request(f"{self.base}/_emulator/stats", method="DELETE")
        with urllib.request.urlopen(request, timeout=30):
            pass


@contextlib.contextmanager
def served(
    data_dir: Path,
    *,
    durations: Mapping[str, float],
    latency_ms: float = 0.0,
    log: Path | None = None,
    port: int | None = None,
) -> Iterator[Emulator]:
    """``reconciler emulator serve alviss`` on ``port`` (default: a free loopback port), stopped on exit."""
    port = port or free_port()
    command = [
        *reconciler_command(), "emulator", "serve", "alviss", "--port", str(port),
        "--data", str(data_dir), "--durations", durations_text(durations), "--token", TOKEN,
    ]  # fmt: skip
    if latency_ms:
        command += ["--latency-ms", f"{latency_ms:g}"]
    data_dir.mkdir(parents=True, exist_ok=True)
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
    sink = open(log, "ab") if log is not None else subprocess.DEVNULL  # noqa: SIM115 - closed below
    process = subprocess.Popen(command, stdout=sink, stderr=sink, cwd=ROOT)
    emulator = Emulator(base=f"http://127.0.0.1:{port}", data_dir=data_dir, process=process)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the emulator exited with {process.returncode} before serving")
            with contextlib.suppress(OSError):
                emulator.stats()
                break
            if time.monotonic() > deadline:
                raise RuntimeError("the emulator did not start within 30 s")
            time.sleep(0.05)
        yield emulator
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if log is not None and not isinstance(sink, int):
            sink.close()


@dataclass(frozen=True)
class Run:
    """One finished subprocess: how long it took and what it cost."""

    wall: float
    cpu: float  # user + system seconds of the process (and its own children)
    max_rss_kib: int
    returncode: int
    stdout: str
    stderr: str


def run_timed(
    command: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path = ROOT,
    timeout: float = 600.0,
    check: bool = True,
) -> Run:
    """Run ``command`` to completion; wall time from start to exit, rusage of that very process."""
    full_env = {**os.environ, **(env or {})}
    with (
        open(os.devnull, "rb") as stdin,
        _capture() as out,
        _capture() as err,
    ):
        start = time.perf_counter()
        process = subprocess.Popen(command, env=full_env, cwd=cwd, stdin=stdin, stdout=out, stderr=err)
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                process.kill()
                pid, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.002)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        run = Run(
            wall=wall,
            cpu=usage.ru_utime + usage.ru_stime,
            max_rss_kib=usage.ru_maxrss,
            returncode=process.returncode,
            stdout=out.read().decode(errors="replace"),
            stderr=err.read().decode(errors="replace"),
        )
    if check and run.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command[:4])} … exited with {run.returncode}: {run.stderr.strip()[-2000:]}"
        )
    return run


@contextlib.contextmanager
def _capture() -> Iterator[Any]:
    import tempfile

    with tempfile.TemporaryFile() as fh:
        yield fh


@dataclass(frozen=True)
class Timed:
    """A command to time again and again: what to run, with which variables, where, for how long at most."""

    command: Sequence[str]
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: Path = ROOT
    timeout: float = 600.0


def alternate(commands: Mapping[str, Timed], *, rounds: int) -> dict[str, list[Run]]:
    """Run each command once to warm up, then ``rounds`` times, taking turns; every run must exit 0.

    The commands take turns within a round, and the one that goes first changes
    from round to round, so a machine that gets busier (or quieter) during the
    run weighs on each alike.  The warm-up runs (page cache, ``.pyc`` files) are
    not kept.
    """
    names = list(commands)
    runs: dict[str, list[Run]] = {name: [] for name in names}
    for round_number in range(rounds + 1):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            timed = commands[name]
            done = run_timed(timed.command, env=timed.env, cwd=timed.cwd, timeout=timed.timeout, check=False)
            if done.returncode != 0:
                raise RuntimeError(
                    f"{name} exited with {done.returncode} (a no-op plan exits 0): "
                    f"{(done.stdout + done.stderr).strip()[-1500:]}"
                )
            if round_number:
                runs[name].append(done)
    return runs


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
