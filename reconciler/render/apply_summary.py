"""The last words of an apply, in Terraform's shape, counting this run only.

``Apply complete! Resources: 2 added, 1 changed, 1 replaced, 0 adopted.``
counts the changes this run finished, by the action the plan showed for them
(so a plan of two changes ends with two counted, whatever else the state
holds); a ``> resume`` that finished is ``resumed`` and a ``forget``
``forgotten``, each named only when there are some, as Terraform names
``imported`` only then.  No-ops are never counted.

Jobs still running (``apply --detach``, or a job past its deadline) and the
changes waiting on them are not failures: the run did everything it could
start, says ``Jobs still running: N (run apply again to wait for them).``,
and exits 0.  A run where something failed or was not started because of a
failure says ``Apply failed`` instead of ``Apply complete!`` and lists its
errors (as Terraform prints its errors and no "Apply complete!"); the
counts are still given, since what was done before the failure is real.
``apply --format json`` carries the same figures (:func:`summary_figures`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from reconciler.engine.executor import ApplyReport
from reconciler.vocabulary import Action

#: What a finished change of each planned action counts as.
RESULT_WORDS: Final = {
    Action.CREATE: "added",
    Action.UPDATE: "changed",
    Action.REPLACE: "replaced",
    Action.ADOPT: "adopted",
    Action.RESUME: "resumed",
    Action.FORGET: "forgotten",
}
#: Always named in the text, even when 0 (the others only when there are some).
_ALWAYS: Final = (Action.CREATE, Action.UPDATE, Action.REPLACE, Action.ADOPT)

NEXT_AFTER_TIMEOUT = (
    "The jobs stay recorded: run apply again to go on waiting for them (apply --detach does not wait)."
)
REJECTED_NEXT = (
    "A rejected job keeps its outputs but nothing that would promote it runs: fix its inputs (the data) "
    "and apply again, or ask for a new job with --replace."
)
NEXT_AFTER_FAILURE = "Fix what the errors say, then run apply again (plan shows what it would do)."


def resources(report: ApplyReport) -> dict[str, int]:
    """Every result word with its count for this run (``{"added": 2, "changed": 1, …}``)."""
    done = report.done()
    figures = {word: done.get(action, 0) for action, word in RESULT_WORDS.items()}
    if report.moved:
        figures["moved"] = report.moved
    return figures


def resources_text(report: ApplyReport) -> str:
    """``Resources: 2 added, 1 changed, 1 replaced, 0 adopted.`` (``, 3 resumed`` when there are some)."""
    done = report.done()
    parts = [
        f"{done.get(action, 0)} {word}"
        for action, word in RESULT_WORDS.items()
        if action in _ALWAYS or done.get(action, 0)
    ]
    if report.moved:
        parts.append(f"{report.moved} moved")
    return "Resources: " + ", ".join(parts) + "."


def running_text(report: ApplyReport) -> str:
    """``Jobs still running: 3 (run apply again to wait for them).``, with what waits on them; "" if none."""
    running = report.count("pending")
    if not running:
        return ""
    text = f"Jobs still running: {running} (run apply again to wait for them)."
    waiting = report.count("waiting")
    if waiting:
        text += f" Waiting on them: {waiting} change{'s' * (waiting != 1)}."
    return text


@dataclass(frozen=True)
class Summary:
    """The closing line (stdout) and the errors (stderr) of an apply."""

    line: str
    errors: tuple[str, ...] = ()


def timed_out(report: ApplyReport, *, waits: bool, interrupted: bool = False) -> list[str]:
    """The jobs a run that waits gave up on at their deadline (none with ``--detach`` or Ctrl-C).

    They stay recorded and the next apply resumes them, but the run did not
    do what it was asked (wait), so it is not "complete" and exits 1, as
    Terraform ends a resource's timeout with an error.
    """
    if not waits or interrupted:
        return []
    return [address for address, outcome in report.outcomes.items() if outcome == "pending"]


def summarize(report: ApplyReport, *, interrupted: bool = False, waits: bool = False) -> Summary:
    """The closing words of a run that was carried out (approved, with changes).

    ``waits`` (a run without ``--detach``): jobs still running are ones whose
    wait deadline passed, which is an error, not "Apply complete!".
    """
    failed = [address for address, outcome in report.outcomes.items() if outcome in ("failed", "rejected")]
    not_started = [address for address, outcome in report.outcomes.items() if outcome == "skipped"]
    tail = " ".join(part for part in (resources_text(report), running_text(report)) if part)
    errors = tuple(f"Error: {address}: {report.messages.get(address, '')}" for address in failed)
    if interrupted:
        head = "Apply interrupted" + (
            f": {_problems(failed, not_started)}." if failed or not_started else "."
        )
        return Summary(f"{head} {tail}", errors)
    if failed or not_started:
        if failed and not_started:  # what was not started only follows from the errors: one line
            errors += (f"Not started because of these errors: {', '.join(not_started)}.",)
        if report.count("rejected") or any(
            message.startswith("held back: ") for message in report.messages.values()
        ):
            errors += (REJECTED_NEXT,)
        else:
            errors += tuple(
                f"Error: {address}: {report.messages.get(address, '')}" for address in not_started
            )
        return Summary(
            f"Apply failed: {_problems(failed, not_started, report.count('rejected'))}. {tail}",
            (*errors, NEXT_AFTER_FAILURE),
        )
    late = timed_out(report, waits=waits)
    if late:
        errors = tuple(f"Error: {address}: {report.messages.get(address, '')}" for address in late)
        jobs = f"{len(late)} job{'s' * (len(late) != 1)}"
        return Summary(
            f"Apply stopped waiting: {jobs} still running at the deadline. {tail}",
            (*errors, NEXT_AFTER_TIMEOUT),
        )
    return Summary(f"Apply complete! {tail}")


def _problems(failed: list[str], not_started: list[str], rejected: int = 0) -> str:
    parts = []
    if len(failed) > rejected:
        parts.append(f"{len(failed) - rejected} failed")
    if rejected:
        parts.append(f"{rejected} rejected by its checks")
    if not_started:
        parts.append(f"{len(not_started)} not started")
    return ", ".join(parts)


def summary_figures(report: ApplyReport, *, waits: bool = False) -> Mapping[str, Any]:
    """The figures of the text summary, for ``apply --format json``."""
    return {
        "ok": not report.failed and not timed_out(report, waits=waits),
        "complete": report.ok,
        "resources": resources(report),
        "jobs_still_running": report.count("pending"),
        "waiting": report.count("waiting"),
    }


__all__ = [
    "RESULT_WORDS",
    "Summary",
    "resources",
    "resources_text",
    "running_text",
    "summarize",
    "summary_figures",
    "timed_out",
]
