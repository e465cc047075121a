"""What a platform and its resource types must provide to the engine.

A resource type is split the way pyinfra splits facts from operations:

* ``read`` does the I/O: it looks at the live platform (and local files) and
  returns *facts*;
* ``decide`` is a pure function of (desired, recorded, facts) that returns a
  :class:`Decision`: an action, the reasons for it, before/after values for
  the plan, and the outputs downstream resources may use;
* ``apply`` carries the decision out, recording each mutating call in the
  :class:`Journal` *before* sending it and the job id as soon as it is known
  (the write-ahead rule), then waiting for the job.

Providers never import the engine; the engine drives them through this module.
"""

from __future__ import annotations

import asyncio
import re
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, ClassVar, Generic, Protocol, TypeVar

import httpx
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from reconciler import errors
from reconciler.providers.identity import Identity, canonical_form, digest
from reconciler.redact import remember
from reconciler.spec.checks import Check, Measured
from reconciler.spec.document import Location
from reconciler.spec.files import regular_file_problem, resolve
from reconciler.spec.interpolate import control_problem
from reconciler.spec.messages import display_path, hinted
from reconciler.spec.names import suggest
from reconciler.spec.refs import LocalFile, marked
from reconciler.state.document import PendingOperation, ResourceState
from reconciler.vocabulary import KNOWN_AFTER_APPLY, Action, KnownAfterApply, Reason
from reconciler.wait import Waiter

ConfigT = TypeVar("ConfigT", bound=BaseModel)
ClientT = TypeVar("ClientT")
FactsT = TypeVar("FactsT")


@dataclass(frozen=True)
class Target(Generic[ConfigT]):
    """One resource of the spec as a resource type sees it."""

    address: str
    provider: str
    config: ConfigT
    base_dir: Path
    locations: Mapping[tuple[str | int, ...], Location] = field(default_factory=dict)
    fallback: Location | None = None
    #: Its quality gates (``checks:``): a type whose own apply promotes the job (a model switch)
    #: judges them before promoting it.
    checks: tuple[Check, ...] = ()

    def path(self, relative: str) -> Path:
        """A file named in the spec, resolved against the spec's directory.

        The loader refused a file field naming something other than a regular
        file; this checks again as the file is about to be used (it may have
        been replaced since), so a FIFO or a device can never be opened.
        """
        path = resolve(self.base_dir, relative)
        problem = regular_file_problem(path)
        if problem is not None:
            fields = [item.path for item in marked(self.config, LocalFile) if item.value == relative]
            where = fields[0] if fields else ()
            shown = relative if Path(relative).is_absolute() else f"{relative} ({path})"
            field = f"{display_path(where)!r}: " if where else ""
            raise self.error(where, f"{field}{shown} {problem}", hint="name a regular data file")
        return path

    def error(
        self, where: tuple[str | int, ...], message: str, *, hint: str | None = None
    ) -> errors.SpecError:
        """An error about this resource's input, located at the field ``where`` in the spec."""
        location = self.locations.get(where) or self.fallback or Location("<spec>", 1, 1)
        return errors.SpecError(
            f"{self.address}: {message}",
            file=location.file,
            line=location.line,
            column=location.column,
            hint=hint,
        )


@dataclass(frozen=True)
class Upstream:
    """A referenced resource: its action in this plan and its outputs (if known yet)."""

    address: str
    action: Action
    outputs: Mapping[str, Any] | KnownAfterApply
    summary: str = ""


@dataclass(frozen=True)
class Desired(Generic[ConfigT]):
    """A target with its references resolved as far as they can be before apply."""

    target: Target[ConfigT]
    upstream: Mapping[str, Upstream] = field(default_factory=dict)

    @property
    def config(self) -> ConfigT:
        return self.target.config

    @property
    def address(self) -> str:
        return self.target.address

    def output(self, address: str, key: str) -> Any:
        """The output ``key`` of the referenced resource, or KNOWN_AFTER_APPLY."""
        outputs = self.upstream[address].outputs
        if isinstance(outputs, KnownAfterApply):
            return KNOWN_AFTER_APPLY
        return outputs.get(key, KNOWN_AFTER_APPLY)

    def changing(self, address: str) -> bool:
        return self.upstream[address].action.mutates


@dataclass(frozen=True, kw_only=True)
class Decision:
    """What a resource needs, why (a :class:`Reason` code and the particulars), and what it will look like.

    The planner embeds it whole in the plan's change, and apply carries out
    exactly this decision (a saved plan stores it).  ``refreshed`` is a record
    to write although nothing is sent (a no-op that learned something, an
    adoption); ``outputs`` are what downstream resources may use now.
    """

    action: Action
    reason: Reason
    summary: str = ""
    reasons: tuple[str, ...] = ()
    before: Mapping[str, Any] = field(default_factory=dict)
    after: Mapping[str, Any] = field(default_factory=dict)
    outputs: Mapping[str, Any] | None = None
    fingerprint: str | None = None
    refreshed: ResourceState | None = None


@dataclass(frozen=True)
class Applied:
    """The result of a finished apply: what to record.

    ``identity`` is what the object was made from; ``inputs`` is its
    canonical form (filled from ``identity`` when given), recorded with its
    fingerprint.  ``display`` is what is shown about the object (labels for
    the plan's before-values, its status, scores): never compared.
    """

    outputs: Mapping[str, Any]
    display: Mapping[str, Any] = field(default_factory=dict)
    inputs: Mapping[str, Any] = field(default_factory=dict)
    identity: Identity | None = None

    def __post_init__(self) -> None:
        if self.identity is not None and not self.inputs:
            object.__setattr__(self, "inputs", self.identity.canonical())


@dataclass(frozen=True)
class Candidate:
    """An object on the platform that matches a resource the state has no record of."""

    object_id: int | str
    #: What downstream resources use (the outputs a real apply would record), as far as known now.
    outputs: Mapping[str, Any]
    #: What matched, in the platform's words, for the plan (``{"FileName": "sales.csv", …}``).
    matched: Mapping[str, Any] = field(default_factory=dict)
    #: The platform's creation time (ISO 8601), when it says; orders candidates newest first.
    created_at: str | None = None
    #: The position in the platform's list (later is newer), for platforms that show no time.
    rank: int = 0
    #: What the type's write-ahead intent would carry for this object (an upload's sha256 and size),
    #: recorded with the adoption so apply and a later resume read it as they read their own.
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Found:
    """What looking up an unrecorded resource on the platform gave.

    ``searched`` is False when the platform offers no way to look (no list
    endpoint, or it answered 404); ``how`` says what was compared, for the plan.
    """

    candidates: tuple[Candidate, ...] = ()
    searched: bool = True
    how: str = ""


class Journal(Protocol):
    """The write-ahead record of one resource's apply, persisted by the engine."""

    @property
    def pending(self) -> PendingOperation | None: ...

    async def intent(
        self, step: str, *, identity: Identity | Mapping[str, Any] | None = None, **detail: Any
    ) -> None:
        """Record that ``step`` is about to be sent (persisted before returning).

        ``identity`` is what makes the object "the same" (its fingerprint and
        canonical form are recorded with the intent, so a later run can tell
        whether a pending job is for the inputs it wants); later steps of the
        same operation may leave it out.  The engine refuses (``PlanError``,
        nothing sent) an identity whose fingerprint is not the one the plan
        showed.
        """

    async def submitted(self, job_id: str | int, **detail: Any) -> None:
        """Record the job id the platform answered with (persisted before returning)."""

    def progress(self, word: str, *, estimate_seconds: float | None = None) -> None:
        """Report the platform's latest status word for a running job."""


class ResourceType(ABC, Generic[ConfigT, ClientT, FactsT]):
    """One kind of resource on one platform (``alviss.upload``)."""

    name: ClassVar[str]
    config_class: ClassVar[type[BaseModel]]
    #: What makes this type's object "the same" (``providers/identity.py``); its ``kind`` is ``name``.
    identity_class: ClassVar[type[Identity]]
    #: The output holding the id of the object this type makes (``model_id`` for a refit), or None.
    #: A data source's lookup of "the latest" of that kind leaves out the ids the state records under
    #: it (and the id ``import`` adopts as this type): never an id recorded under another key.
    made_key: ClassVar[str | None] = None

    @abstractmethod
    async def read(self, client: ClientT, target: Target[ConfigT], record: ResourceState | None) -> FactsT:
        """Look at the live platform and local inputs; no decisions here."""

    @abstractmethod
    def decide(self, desired: Desired[ConfigT], record: ResourceState | None, facts: FactsT) -> Decision:
        """Pure: what does this resource need?"""

    @abstractmethod
    async def apply(
        self,
        client: ClientT,
        desired: Desired[ConfigT],
        record: ResourceState | None,
        decision: Decision,
        journal: Journal,
    ) -> Applied:
        """Carry out ``decision``; every mutating call is recorded in ``journal`` first."""

    def check(
        self, target: Target[ConfigT], named: Mapping[tuple[str | int, ...], Any]
    ) -> list[errors.SpecError]:
        """Problems only the platform can show, found by ``plan`` before anything is decided or sent.

        ``named`` holds, per field path, the object a literal id there names,
        as the platform showed it (an id that names nothing is reported
        already), or what a data source referred to there read.  Each problem
        is located at its field (:meth:`Target.error`).  The default finds none.
        """
        return []

    def planned(self, target: Target[ConfigT], named: Mapping[tuple[str | int, ...], Any]) -> Any | None:
        """What the object this resource makes is known to be before apply, or None.

        ``plan`` hands it to the :meth:`check` of the resources that refer to
        this one, as if it were an object named by id (a refit of a refit is
        checked against the combination its source will have).  ``named`` is
        as for :meth:`check`.  The default knows nothing.
        """
        return None

    async def recover(
        self, client: ClientT, desired: Desired[ConfigT], pending: PendingOperation
    ) -> str | int | None:
        """Find the object a creating call whose answer was lost made, and return its job id.

        ``pending`` is the write-ahead record of that call (its ``step``,
        ``fingerprint``, ``submitted_at`` and ``detail``).  Look it up through
        the platform's list endpoints; return ``None`` when nothing matches
        (the call never arrived, so sending it again is safe).  The default
        knows no way to look up, and says so by returning ``None``.
        """
        return None

    async def find(self, client: ClientT, desired: Desired[ConfigT]) -> Found | None:
        """Look for the object of a resource the state has no record of (lost or never written state).

        Called by the planner only when the state has no record of
        ``desired``'s address and its inputs are known; reads only.  Return
        every non-failed object that matches (the planner adopts a unique one
        and stops on several), or ``None`` when this type knows no way to look.
        """
        return None

    def measure(self, record: ResourceState) -> Measured:
        """What a finished job of this type measured, by metric (as its configuration's
        ``result_metrics`` documents them), read from its record: what its ``checks`` are judged
        against. The default measures nothing (a type with no result metrics takes no checks)."""
        return {}


@dataclass(frozen=True)
class DataRead:
    """What a data source found: the outputs references use, and what the plan shows.

    ``outputs`` carry the same keys as those of the resource type of the same
    name (a ``data.alviss.model`` has a ``model_id`` as an ``alviss.model``
    has), so a reference reads either alike.  ``found`` is the platform's
    answer itself, for the checks of the resources that refer to it
    (:meth:`ResourceType.check`); it is not part of the plan.
    """

    outputs: Mapping[str, Any]
    summary: str
    found: Any = None


class DataSourceType(ABC, Generic[ConfigT, ClientT]):
    """One kind of read-only lookup on one platform (``data.alviss.model``), done at plan time."""

    name: ClassVar[str]
    config_class: ClassVar[type[BaseModel]]

    @abstractmethod
    async def read(
        self, client: ClientT, target: Target[ConfigT], *, made: Mapping[str, frozenset[str]]
    ) -> DataRead:
        """Look it up (reads only).

        ``made`` holds, per output key (``model_id``), the ids of the objects the
        resources of this provider instance made, as the state records them
        under their type's :attr:`ResourceType.made_key` (and the object
        ``import`` is adopting, under its type's key): what this spec made.  A
        lookup of "the latest" leaves them out, or a refit of the latest model
        would refit its own result on every plan; an id of another kind of
        object (a dataset 3) never hides one of this kind (model 3).  Nothing found, or several
        where one is needed, is ``target.error(field, …)``: a spec error at the
        field that asked.
        """


@dataclass(frozen=True)
class Connection:
    """How to reach a platform: the base URL and, for in-process emulators, the transport."""

    base_url: str
    transport: httpx.AsyncBaseTransport | None = None
    emulated: bool = False


@dataclass(frozen=True)
class ClientOptions:
    """Knobs tests and benchmarks turn: time, randomness, polling speed."""

    sleep: Callable[[float], Awaitable[None]] | None = None
    clock: Callable[[], float] | None = None
    random: Callable[[], float] | None = None
    poll_scale: float = 1.0
    #: Submit and record jobs, but do not wait for them (``apply --detach``).
    detach: bool = False
    #: Set when the run is asked to stop (SIGINT): waits end at once, jobs stay recorded.
    stop: asyncio.Event | None = None
    #: The largest platform answer read (``$RECONCILER_MAX_ANSWER_MIB``); None: the HTTP layer's default.
    max_answer_bytes: int | None = None
    #: Told of every failed attempt of a platform request: (platform, fault, retried); the agent's metrics.
    on_fault: Callable[[str, str, bool], None] | None = None

    def waiter(self) -> Waiter:
        """How a client of this run waits for jobs: its time, pace, ``--detach`` and stop signal."""
        return Waiter(
            sleep=self.sleep, clock=self.clock, scale=self.poll_scale, detach=self.detach, stop=self.stop
        )


def _header_safe(value: SecretStr) -> SecretStr:
    """A credential that can be sent in an HTTP header: ASCII, no control characters.

    The message says what is wrong and where, never the value; the spec
    layer places it at the ``${env:NAME}`` that supplied it.
    """
    text = value.get_secret_value()
    problem = control_problem(text)
    if problem is not None:
        raise ValueError(f"it {problem} (the value is not shown); a credential is sent in an HTTP header")
    if not text.isascii():
        position = next(index for index, char in enumerate(text) if not char.isascii()) + 1
        raise ValueError(
            f"it has a non-ASCII character (character {position}; the value is not shown), and it is "
            "sent in an HTTP header, which carries only ASCII: often a curly quote or a non-breaking "
            "space from a copy and paste"
        )
    return value


#: A token or key sent in a header (``Authorization``, ``X-API-Key``): checked when the spec is loaded.
HeaderSecret = Annotated[SecretStr, AfterValidator(_header_safe)]


def secret_field(what: str) -> Any:
    """The field of a provider block holding its credential (``what`` says which one)."""
    return Field(
        default=None, description=f"{what}; write ${{env:NAME}}. Optional only for emulator:// endpoints."
    )


@dataclass(frozen=True, kw_only=True)
class Auth:
    """How a platform's requests carry its credential; declared with its configuration model.

    ``field`` names the provider block's field holding the secret: a real
    endpoint needs it (checked when the spec is loaded; :attr:`hint` says to
    give it from the environment variable ``env``, and ``note`` anything more),
    an emulator is sent ``stand_in`` without one.  Every request
    carries ``header: format.format(value)``, the value being the secret or,
    with ``sign``, what is signed from it and the configuration (Datrics' JWT).
    ``refused`` is the hint of an answer refusing it (401/403), when the HTTP
    layer's own would not do.  ``{instance}`` in ``stand_in`` and ``refused`` is
    the provider instance's name.
    """

    field: str
    env: str
    header: str
    note: str = ""
    format: str = "{}"
    stand_in: str = "emulator"
    refused: str | None = None
    sign: Callable[[str, Any], str] | None = None

    @property
    def hint(self) -> str:
        """What to do when the credential is missing."""
        more = f" {self.note}" if self.note else ""
        return f"set {self.field}: ${{env:{self.env}}} in the provider block and export {self.env}{more}"

    def secret(self, config: BaseModel, *, instance: str, emulated: bool) -> str:
        """The secret the provider block names; an emulator accepts the stand-in, a real endpoint needs it."""
        value = getattr(config, self.field, None)
        if isinstance(value, SecretStr):
            secret = value.get_secret_value()
            remember(secret)
            return secret
        if emulated:
            return self.stand_in.format(instance=instance)
        raise errors.ProviderError(f"provider {instance}: no {self.field}", hint=self.hint)


EMULATOR_SCHEME = "emulator://"


def emulator_name(endpoint: str) -> str | None:
    """The emulator an ``emulator://NAME`` endpoint names; None for a real platform's URL."""
    if not endpoint.startswith(EMULATOR_SCHEME):
        return None
    return endpoint[len(EMULATOR_SCHEME) :].strip("/")


_SCHEMES = ("https", "http", "emulator")
# A scheme written with its punctuation mangled: ``https:/host``, ``https//host``, ``https:host``.
_MANGLED = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)(?::/?(?!/)|//)(?P<rest>.*)$")


def endpoint_problem(endpoint: str, *, platform: str, example: str) -> tuple[str, str] | None:
    """Why ``endpoint`` cannot reach ``platform`` (a sentence and what to write instead), or None.

    Offline: only the form is checked (``https://HOST…``, ``http://HOST…`` or
    ``emulator://PLATFORM``); ``example`` is the platform's real endpoint.
    """
    either = f"write the platform's URL (e.g. {example}) or {EMULATOR_SCHEME}{platform}"
    text = endpoint.strip()
    if text != endpoint:
        return "has spaces around it", f"write {text!r}"
    if not text:
        return "is empty", either
    if "://" not in text:
        mangled = _MANGLED.match(text)
        if mangled and mangled["scheme"].lower() in _SCHEMES:
            fixed = f"{mangled['scheme'].lower()}://{mangled['rest'].lstrip(':/')}"
            return "is missing the '://' after its scheme", f"did you mean {fixed!r}?"
        if text.lower() in (platform, "emulator"):
            return "has no scheme", f"did you mean '{EMULATOR_SCHEME}{platform}'?"
        return "has no scheme (https://, http:// or emulator://)", f"did you mean {'https://' + text!r}?"
    scheme, rest = text.split("://", 1)
    if scheme.lower() == "emulator":
        name = rest.strip("/")
        hint = f"the {platform} emulator is {EMULATOR_SCHEME}{platform}"
        if scheme != "emulator":  # the in-process emulator is recognised by its scheme exactly as written
            return f"writes its scheme as '{scheme}://'", f"write it in lower case: {hint}"
        if name == platform:
            return None
        if not name:
            return "names no emulator", hint
        return f"names {EMULATOR_SCHEME}{name}, which is not the {platform} emulator", hint
    if scheme.lower() in ("http", "https"):
        from urllib.parse import urlsplit

        try:
            parts = urlsplit(text)
            host, _ = parts.hostname, parts.port
        except ValueError as exc:
            return f"is not a valid URL ({exc})", either
        if not host:
            return "has no host after its scheme", either
        if any(character.isspace() for character in text):
            return "has a space in it", "a URL has no spaces; write %20 for one in a path"
        return None
    close = suggest(scheme.lower(), _SCHEMES)
    if close is not None:
        return f"has an unknown scheme '{scheme}://'", f"did you mean {close + '://' + rest!r}?"
    return f"has an unknown scheme '{scheme}://' (https://, http:// or emulator://)", either


class ProviderConfig(BaseModel):
    """What every provider block has: where the platform is (``https://…`` or ``emulator://name``).

    A platform's configuration names its emulator (``emulator``, also its
    platform name) and how its credential is given and sent (``auth``): a
    real endpoint needs the credential; both are checked when the spec is loaded.
    """

    model_config = ConfigDict(extra="forbid")

    emulator: ClassVar[str] = ""
    auth: ClassVar[Auth | None] = None

    endpoint: str
    emulator_dir: str | None = Field(
        default=None,
        description=(
            "emulator:// only: the directory that keeps the emulator's world, relative to the spec file "
            "(default: .reconciler/emulators/ beside the state file)."
        ),
    )

    @model_validator(mode="after")
    def _emulator_dir_needs_emulator(self) -> ProviderConfig:
        if self.emulator_dir is not None and not self.emulated:
            raise ValueError(
                "emulator_dir is only for an emulator:// endpoint (a real platform keeps its own data)"
            )
        return self

    @property
    def emulated(self) -> bool:
        """Whether the endpoint is an emulator served in-process (``emulator://NAME``)."""
        return emulator_name(self.endpoint) is not None

    @field_validator("endpoint")
    @classmethod
    def _reachable(cls, value: str) -> str:
        if not cls.emulator:
            return value
        default = cls.model_fields["endpoint"].default
        example = default if isinstance(default, str) else "https://HOST/PATH"
        problem = endpoint_problem(value, platform=cls.emulator, example=example)
        if problem is not None:
            raise hinted(*problem)
        return value

    @model_validator(mode="after")
    def _credential(self) -> ProviderConfig:
        auth = self.auth
        if auth is not None and not self.emulated and getattr(self, auth.field, None) is None:
            raise hinted(
                f"is required with a real endpoint ({self.endpoint}); only {EMULATOR_SCHEME} endpoints"
                " work without one",
                auth.hint,
                field=auth.field,
            )
        return self


def fingerprint(identity: Identity | Mapping[str, Any]) -> str:
    """The fingerprint of an identity (a mapping is taken as a canonical form already)."""
    return digest(canonical_form(identity))
