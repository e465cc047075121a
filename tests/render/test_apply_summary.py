"""The closing words of an apply: Terraform's shape, this run's counts, failures as errors."""

from __future__ import annotations

from reconciler.engine.executor import ApplyReport, Outcome
from reconciler.render.apply_summary import summarize, summary_figures
from reconciler.vocabulary import Action


def report(*ended: tuple[str, Action, Outcome, str]) -> ApplyReport:
    result = ApplyReport()
    for address, action, outcome, message in ended:
        result.outcomes[address] = outcome
        result.actions[address] = action
        result.messages[address] = message
    return result


def test_complete_counts_each_action_once_and_names_resumed_and_forgotten_only_when_there_are_some() -> None:
    plain = report(("a.b.c", Action.CREATE, "done", ""), ("a.b.d", Action.REPLACE, "done", ""))
    assert summarize(plain).line == "Apply complete! Resources: 1 added, 0 changed, 1 replaced, 0 adopted."
    more = report(
        ("a.b.c", Action.UPDATE, "done", ""),
        ("a.b.d", Action.ADOPT, "done", ""),
        ("a.b.e", Action.RESUME, "done", ""),
        ("a.b.f", Action.FORGET, "done", ""),
    )
    assert summarize(more).line == (
        "Apply complete! Resources: 0 added, 1 changed, 0 replaced, 1 adopted, 1 resumed, 1 forgotten."
    )
    assert summarize(more).errors == ()


def test_jobs_still_running_are_no_failure() -> None:
    detached = report(
        ("a.b.c", Action.CREATE, "pending", "detached"),
        ("a.b.d", Action.CREATE, "pending", "detached"),
        ("a.b.e", Action.CREATE, "pending", "detached"),
        ("a.b.f", Action.UPDATE, "waiting", "waiting on a.b.c (running)"),
        ("a.b.g", Action.UPDATE, "done", ""),
    )
    summary = summarize(detached)
    assert summary.line == (
        "Apply complete! Resources: 0 added, 1 changed, 0 replaced, 0 adopted. "
        "Jobs still running: 3 (run apply again to wait for them). Waiting on them: 1 change."
    )
    assert summary.errors == ()
    figures = summary_figures(detached)
    assert (figures["ok"], figures["complete"], figures["jobs_still_running"], figures["waiting"]) == (
        True,
        False,
        3,
        1,
    )
    assert figures["resources"]["changed"] == 1


def test_a_failure_prints_errors_and_no_apply_complete() -> None:
    failed = report(
        ("a.b.c", Action.CREATE, "failed", "the platform says no"),
        ("a.b.d", Action.UPDATE, "skipped", "not started: a.b.c failed"),
        ("a.b.e", Action.CREATE, "done", ""),
    )
    summary = summarize(failed)
    assert summary.line == (
        "Apply failed: 1 failed, 1 not started. Resources: 1 added, 0 changed, 0 replaced, 0 adopted."
    )
    assert summary.errors[:2] == (
        "Error: a.b.c: the platform says no",
        "Not started because of these errors: a.b.d.",
    )
    assert summary.errors[-1].startswith("Fix what the errors say")
    assert summary_figures(failed)["ok"] is False


def test_an_interrupted_run_says_so_and_lists_only_real_errors() -> None:
    stopped = report(
        ("a.b.c", Action.CREATE, "pending", "stopped waiting"),
        ("a.b.d", Action.UPDATE, "skipped", "not started: the run was stopped"),
    )
    summary = summarize(stopped, interrupted=True)
    assert summary.line == (
        "Apply interrupted: 1 not started. Resources: 0 added, 0 changed, 0 replaced, 0 adopted. "
        "Jobs still running: 1 (run apply again to wait for them)."
    )
    assert summary.errors == ()


def test_a_run_that_waits_and_reaches_the_deadline_is_not_complete() -> None:
    running = "refit 7 is running after 3600 s; the next apply resumes waiting"
    late = report(
        ("a.b.c", Action.CREATE, "pending", running),
        ("a.b.d", Action.UPDATE, "waiting", "waiting on a.b.c (running)"),
        ("a.b.e", Action.CREATE, "done", ""),
    )
    summary = summarize(late, waits=True)
    assert summary.line == (
        "Apply stopped waiting: 1 job still running at the deadline. "
        "Resources: 1 added, 0 changed, 0 replaced, 0 adopted. "
        "Jobs still running: 1 (run apply again to wait for them). Waiting on them: 1 change."
    )
    assert summary.errors[0] == f"Error: a.b.c: {running}"
    assert "run apply again" in summary.errors[-1]
    assert summary_figures(late, waits=True)["ok"] is False
    # the same outcome under --detach, or after Ctrl-C, is what was asked for
    assert summarize(late).line.startswith("Apply complete!")
    assert summarize(late, waits=True, interrupted=True).line.startswith("Apply interrupted")
    assert summary_figures(late)["ok"] is True
