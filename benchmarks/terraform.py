"""Terraform as a reference: a configuration of N ``terraform_data`` resources, applied once.

``terraform_data`` is built into Terraform, so ``terraform init`` downloads
nothing and the whole reference runs offline.  Every command runs with an
empty CLI configuration (no user's mirrors or plug-in caches), without the
version check against the network (``CHECKPOINT_DISABLE``) and without
prompts.  Where the executable is missing the workloads say so and report
the reconciler's figures alone.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from benchmarks.harness import Timed, run_timed

#: Where Terraform is installed on the benchmark machines when it is not on PATH.
INSTALLED = Path("/usr/local/bin/terraform")


def find(explicit: str | None = None) -> Path | None:
    """The ``terraform`` executable: ``explicit`` if given (None when it is not there), else PATH."""
    if explicit is not None:
        path = Path(explicit)
        return path if path.is_file() and os.access(path, os.X_OK) else None
    found = shutil.which("terraform")
    if found:
        return Path(found)
    return INSTALLED if INSTALLED.is_file() and os.access(INSTALLED, os.X_OK) else None


def missing_note(workload: str, explicit: str | None) -> str:
    where = f"no executable at {explicit}" if explicit is not None else f"not on PATH, not at {INSTALLED}"
    return f"{workload}: terraform missing ({where}); the reconciler's figures alone"


@dataclass(frozen=True)
class Configuration:
    """A directory holding a Terraform configuration that has been initialised and applied."""

    executable: Path
    directory: Path
    resources: int
    apply_wall: float

    @property
    def env(self) -> dict[str, str]:
        return environment(self.directory)

    def version(self) -> Timed:
        return Timed([str(self.executable), "version"], env=self.env, cwd=self.directory, timeout=60)

    def plan(self) -> Timed:
        """``terraform plan`` that must find nothing to do (exit 0 with ``-detailed-exitcode``)."""
        command = [str(self.executable), "plan", "-detailed-exitcode", "-input=false", "-no-color"]
        return Timed(command, env=self.env, cwd=self.directory, timeout=300)


def environment(directory: Path) -> dict[str, str]:
    config = directory / "empty.tfrc"
    if not config.exists():
        config.write_text("")
    return {
        "TF_CLI_CONFIG_FILE": str(config),
        "CHECKPOINT_DISABLE": "1",
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "TF_LOG": "",
        "TF_DATA_DIR": str(directory / ".terraform"),
    }


def prepare(executable: Path, directory: Path, *, names: list[str]) -> Configuration:
    """Write one ``terraform_data`` per name, ``terraform init`` (offline) and apply it once."""
    directory.mkdir(parents=True, exist_ok=True)
    blocks = [f'resource "terraform_data" "{name}" {{\n  input = "{name}"\n}}\n' for name in names]
    (directory / "main.tf").write_text("\n".join(blocks))
    env = environment(directory)
    run_timed([str(executable), "init", "-input=false", "-no-color"], env=env, cwd=directory, timeout=120)
    applied = run_timed(
        [str(executable), "apply", "-auto-approve", "-input=false", "-no-color"],
        env=env,
        cwd=directory,
        timeout=900,
    )
    return Configuration(executable, directory, resources=len(names), apply_wall=applied.wall)


def version_text(executable: Path, directory: Path) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    done = run_timed([str(executable), "version"], env=environment(directory), cwd=directory, timeout=60)
    return done.stdout.splitlines()[0].strip() if done.stdout.strip() else "terraform (version unknown)"
