"""The words plans are made of, shared by the engine and the providers.

Providers decide what a resource needs (an :class:`Action` and the reasons);
the engine orders, renders and executes those decisions.  Both sides need the
same vocabulary, so it lives here, below both.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final, Literal

#: Metadata key marking a facts field that changes on every read: ``field(default=None, metadata=VOLATILE)``.
#:
#: ``decide`` may use such a field, but it is kept out of a change's ``basis``:
#: otherwise no saved plan of that resource could ever be applied, since the
#: fresh read that checks the plan always sees a new value.  What the field
#: leads ``decide`` to conclude is still checked, through the action and
#: fingerprint of the change.  A field that says where something is rather
#: than what it is (the absolute path a data file was read from) is marked too:
#: a plan saved in one checkout then applies in another, or from a moved one.
VOLATILE: Final[Mapping[str, bool]] = MappingProxyType({"reconciler.volatile": True})


class Action(StrEnum):
    """What apply will do to one resource."""

    NOOP = "no-op"
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    RESUME = "resume"
    FORGET = "forget"
    #: Record an object found on the platform that the state has no record of (nothing is sent).
    ADOPT = "adopt"

    @property
    def symbol(self) -> str:
        return _SYMBOLS[self]

    @property
    def mutates(self) -> bool:
        """Whether the action sends anything to a platform."""
        return self in (Action.CREATE, Action.UPDATE, Action.REPLACE, Action.RESUME)


_SYMBOLS: Final = {
    Action.NOOP: " ",
    Action.CREATE: "+",
    Action.UPDATE: "~",
    Action.REPLACE: "-/+",
    Action.RESUME: ">",
    Action.FORGET: "x",
    Action.ADOPT: "<=",
}


class KnownAfterApply:
    """A value that only exists once an upstream job has run."""

    _instance: KnownAfterApply | None = None

    def __new__(cls) -> KnownAfterApply:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "(known after apply)"

    def __reduce__(self) -> tuple[Any, ...]:
        return (KnownAfterApply, ())


KNOWN_AFTER_APPLY: Final = KnownAfterApply()


def is_known(value: Any) -> bool:
    """True unless ``value`` is, or contains, a value known only after apply."""
    if value is KNOWN_AFTER_APPLY:
        return False
    if isinstance(value, dict):
        return all(is_known(item) for item in value.values())
    if isinstance(value, list | tuple | set | frozenset):
        return all(is_known(item) for item in value)
    return True


#: Why a resource is out of step, for drift checks: the spec asks for something not applied yet
#: (``spec``), the live platform changed outside the tool (``live``), a job is still running
#: (``running``), a finished job failed its quality gates and is held back (``rejected``).
Cause = Literal["spec", "live", "running", "rejected"]


class Reason(StrEnum):
    """Why a resource gets its action: one code per rule that can decide it (cf. Terraform's ActionReason).

    The free-text reasons of a change say the particulars (which field, which
    job id); the code says which rule fired, so the plan, ``--format json``
    and the drift check never have to read the text back.  Each code belongs
    to one :data:`Cause` (see :attr:`cause`), except ``upstream_changes``,
    which inherits the cause of the upstream change it follows.
    """

    #: Nothing to do: the recorded object is what the spec asks for and the platform still has it.
    IN_SYNC = "in_sync"
    #: Nothing recorded for these inputs yet (a new resource): create.
    NO_RECORD = "no_record"
    #: A job an earlier run submitted for these very inputs is still alive: wait for it.
    JOB_RUNNING = "job_running"
    #: An earlier run sent the creating call but got no answer: look it up, then send again.
    ANSWER_LOST = "answer_lost"
    #: An input is the output of an upstream resource that changes in this plan.
    UPSTREAM_CHANGES = "upstream_changes"
    #: The last attempt failed (the record is tainted): a new job.
    TAINTED = "tainted"
    #: The spec's inputs differ from the recorded ones (a file, a parameter, a name).
    INPUTS_CHANGED = "inputs_changed"
    #: The recorded object no longer exists on the platform.
    GONE = "gone"
    #: The platform says the recorded (or pending) job failed.
    FAILED_ON_PLATFORM = "failed_on_platform"
    #: An earlier run submitted the job, but its data never reached the platform, so it never runs.
    DATA_NEVER_SENT = "data_never_sent"
    #: The job finished, but a step after it was not done (switching a model's API to it).
    STEP_NOT_DONE = "step_not_done"
    #: The live object was changed outside the tool (an "active" object switched, an output edited).
    LIVE_CHANGED = "live_changed"
    #: ``--replace`` asked for a new job although nothing else did.
    REPLACE_REQUESTED = "replace_requested"
    #: Not in the state, and exactly one object on the platform matches: record it.
    ADOPT_FOUND = "adopt_found"
    #: Not in the state, and the live object already is what the spec says: record it.
    ADOPT_LIVE = "adopt_live"
    #: In the state but no longer in the spec: forget the record (the object is kept).
    NOT_IN_SPEC = "not_in_spec"
    #: Not in the state, and an ``import`` block of the spec names the platform's object to record.
    IMPORT_BLOCK = "import_block"
    #: The finished job failed one of its ``checks``: kept as it is (not sent again) and nothing
    #: that would promote it runs, until its inputs change or ``--replace`` asks for a new job.
    REJECTED = "rejected"

    @property
    def cause(self) -> Cause | Literal["inherited"] | None:
        """The drift class of a change with this reason (``inherited``: the upstream change's)."""
        return _CAUSES[self]


_CAUSES: Final[Mapping[Reason, Cause | Literal["inherited"] | None]] = {
    Reason.IN_SYNC: None,
    Reason.NO_RECORD: "spec",
    Reason.JOB_RUNNING: "running",
    Reason.ANSWER_LOST: "spec",
    Reason.UPSTREAM_CHANGES: "inherited",
    Reason.TAINTED: "spec",
    Reason.INPUTS_CHANGED: "spec",
    Reason.GONE: "live",
    Reason.FAILED_ON_PLATFORM: "live",
    Reason.DATA_NEVER_SENT: "spec",
    Reason.STEP_NOT_DONE: "live",
    Reason.LIVE_CHANGED: "live",
    Reason.REPLACE_REQUESTED: "spec",
    Reason.ADOPT_FOUND: "spec",
    Reason.ADOPT_LIVE: "spec",
    Reason.NOT_IN_SPEC: "spec",
    Reason.IMPORT_BLOCK: "spec",
    Reason.REJECTED: "rejected",
}
