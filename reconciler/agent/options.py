"""What ``reconciler agent`` is told: which specs, how often, whether it may apply; and its workspaces.

One workspace per spec file matched by ``--specs`` (a glob, repeatable): a
file with ``version:`` and ``resources:`` at its top, so that ``specs/**/*.yaml``
passes over modules and var files (a file named without a glob is taken as given).  A
``--var-file`` is for every spec, or, written ``PATTERN=FILE``, only for the
specs whose path, file name or stem ``PATTERN`` matches (``se=vars/se.yaml``,
``'specs/markets/*.yaml=vars/common.yaml'``).  A workspace is named by its
state: the PostgreSQL ``state.workspace`` (or the spec's stem) or the local
state file; two specs naming one state are refused, since they would fight
over it.
"""

from __future__ import annotations

import fnmatch
import glob
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from reconciler import errors
from reconciler.spec.discover import is_spec_file

ApplyMode = Literal["never", "auto", "approved"]
APPLY_MODES: tuple[ApplyMode, ...] = ("never", "auto", "approved")

#: The default share of the interval each wait is moved by, at random, either way.
JITTER = 0.1


@dataclass(frozen=True)
class AgentOptions:
    """Everything about an agent that is not in the specs."""

    specs: tuple[str, ...]
    var_files: tuple[str, ...] = ()
    #: Seconds between two plans of one workspace (moved by up to ``jitter`` of it either way).
    interval: float = 600.0
    jitter: float = JITTER
    apply: ApplyMode = "never"
    #: How many workspaces one agent works on at once.
    concurrency: int = 4
    #: Where ``/metrics``, ``/healthz``, ``/readyz`` and the status page are served (port 0: any free one).
    host: str = "127.0.0.1"
    port: int = 9464
    #: ``--apply approved``: the directory plans wait in (default: ``plans/`` beside each spec).
    plan_dir: Path | None = None
    #: Submit jobs and check on them each cycle instead of waiting for them within the cycle.
    detach: bool = False
    #: Run one cycle of every workspace, then exit (for a CI job or a cron).
    once: bool = False

    def __post_init__(self) -> None:
        if not self.specs:
            raise errors.ReconcilerError("the agent needs at least one --specs GLOB")
        if not self.interval > 0:
            raise errors.ReconcilerError(
                f"--interval must be above zero, not {self.interval:g}s", hint="e.g. --interval 10m"
            )
        if not 0 <= self.jitter < 1:
            raise errors.ReconcilerError(
                f"--jitter must be at least 0 and below 1, not {self.jitter:g}", hint="e.g. --jitter 0.1"
            )
        if self.concurrency < 1:
            raise errors.ReconcilerError(f"--concurrency must be at least 1, not {self.concurrency}")
        if self.apply not in APPLY_MODES:
            raise errors.ReconcilerError(
                f"--apply must be one of {', '.join(APPLY_MODES)}, not {self.apply!r}"
            )


@dataclass(frozen=True)
class Target:
    """One spec the agent keeps reconciled, and the var files it is loaded with."""

    spec: Path
    var_files: tuple[str, ...] = ()
    #: The spec as matched (relative when the glob was), for messages and the page.
    shown: str = ""

    @property
    def label(self) -> str:
        return self.shown or str(self.spec)


@dataclass(frozen=True)
class Found:
    """The specs ``--specs`` matched, each with its var files."""

    targets: tuple[Target, ...]
    #: Each ``PATTERN=FILE`` var file's pattern with the specs it applies to (for the start-up lines).
    matched: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Files a glob matched that are no spec (no ``version:`` and ``resources:`` at their top).
    skipped: tuple[str, ...] = ()


def find_targets(specs: Sequence[str], var_files: Sequence[str] = (), *, cwd: Path | None = None) -> Found:
    """The spec files ``specs`` (globs) match, sorted and without repeats; each with its var files."""
    base = cwd or Path.cwd()
    paths: dict[Path, str] = {}
    skipped: list[str] = []
    for pattern in specs:
        root = None if Path(pattern).is_absolute() else base
        hits = sorted(glob.glob(pattern, root_dir=root, recursive=True))
        files = [hit for hit in hits if (base / hit).is_file()]
        if glob.has_magic(pattern):
            # A glob also meets modules, var files and data: only spec files are workspaces.
            skipped.extend(hit for hit in files if not is_spec_file(base / hit))
            files = [hit for hit in files if is_spec_file(base / hit)]
        if not files:
            raise errors.ReconcilerError(
                f"--specs {pattern} matches no spec file",
                hint="quote the glob so the shell leaves it to the agent, e.g. --specs 'specs/*.yaml'",
            )
        for hit in files:
            paths.setdefault((base / hit).resolve(), hit)
    given = [_split_var_file(value) for value in var_files]
    targets = []
    matched: dict[str, list[str]] = {pattern: [] for pattern, _ in given if pattern is not None}
    for path, shown in paths.items():
        mine: list[str] = []
        for only, file in given:
            if only is None:
                mine.append(file)
            elif _matches(only, path, shown):
                mine.append(file)
                matched[only].append(shown)
        targets.append(Target(spec=path, var_files=tuple(mine), shown=shown))
    unused = [pattern for pattern, hits in matched.items() if not hits]
    if unused:
        raise errors.ReconcilerError(
            f"--var-file {unused[0]}=… matches none of the specs ({', '.join(paths.values())})",
            hint="PATTERN is matched against each spec's path, file name and stem, e.g. se=vars/se.yaml",
        )
    return Found(tuple(targets), {k: tuple(v) for k, v in matched.items()}, tuple(skipped))


def _split_var_file(value: str) -> tuple[str | None, str]:
    pattern, sep, file = value.partition("=")
    if not sep:
        return None, value
    if not pattern or not file:
        raise errors.ReconcilerError(
            f"--var-file {value}: write FILE (for every spec) or PATTERN=FILE (for the specs PATTERN matches)"
        )
    return pattern, file


def _matches(pattern: str, path: Path, shown: str) -> bool:
    return any(
        fnmatch.fnmatchcase(candidate, pattern) for candidate in (shown, path.name, path.stem, str(path))
    )
