"""Identities: what makes a resource's remote object "the same", as frozen, versioned models.

Every resource type declares one :class:`Identity` subclass and builds it in
one place (its ``identity``/``identify`` methods); ``decide``, ``recover`` and
``apply`` all use that, and the executor checks before anything is sent that
what apply would make has the fingerprint the plan showed.

The fingerprint is the sha256 of the *canonical form*: the identity's fields
as JSON (sorted keys, no spaces).  Two rules keep fingerprints stable across
upgrades of the tool:

* **A field at its default is left out**, at every depth (fields of nested
  models such as ``ModelParams`` too), unless the model lists it in
  ``identity_always``.  So adding a field with a default, to an identity or to
  a config model inside one, changes no existing fingerprint: the default
  must be the value that means "as before".  ``identity_always`` holds the
  fields of the first layout, which wrote every field (``None`` included), so
  records written before identities were models keep their fingerprints.
* **A changed meaning is a new version.**  ``version`` starts at 1 (the
  canonical form then carries no version, as the first layout did); from 2
  on the form carries ``identity_version``.  A type that bumps its version
  implements :meth:`Identity.upgrade`, turning an older canonical form into
  the current fields; a record is then compared by upgrading what it
  recorded (:func:`same`), and rewritten in the current form at the next
  apply.

What the rules do not cover: changing the *default* of a field that is left
out at its default changes what is sent without changing the fingerprint (a
test pins those defaults, ``tests/providers/test_identities.py``); such a
change needs a new version whose ``upgrade`` writes the old default in.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, ValidationError

from reconciler import errors

#: The key under which canonical forms of version 2 and later name their version.
VERSION_KEY = "identity_version"


class IdentityError(ValueError):
    """A recorded identity that cannot be read as the current one (a newer version, or malformed)."""


class NewerIdentity(IdentityError):
    """A record written by a newer reconciler, whose identity version this one does not know."""


class Identity(BaseModel):
    """What makes a resource type's object "the same"; one subclass per resource type."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: The resource type this identifies (``alviss.refit``).
    kind: ClassVar[str] = ""
    #: The layout version; bump it (and implement :meth:`upgrade`) when a field's meaning changes.
    version: ClassVar[int] = 1
    #: Fields written even at their default (the first layout wrote every field).
    identity_always: ClassVar[frozenset[str]] = frozenset()

    def canonical(self) -> dict[str, Any]:
        """The canonical form: JSON values, fields at their default left out (see the module doc)."""
        form = _fields(self)
        if self.version > 1:
            form[VERSION_KEY] = self.version
        return form

    def fingerprint(self) -> str:
        return self._digest

    @functools.cached_property
    def _digest(self) -> str:
        # Once per identity (it is frozen): planning one job compares it three or four times.
        # Kept beside the fields, never one of them: equality, hashing and dumps ignore it.
        return digest(self.canonical())

    @classmethod
    def upgrade(cls, version: int, form: dict[str, Any]) -> dict[str, Any]:
        """The fields of this version, from the canonical form (without its version) of an older one.

        A subclass that bumps ``version`` overrides this, going one version
        at a time; the base knows no older version.
        """
        raise IdentityError(f"{cls.kind or cls.__name__}: no upgrade from identity version {version}")

    @classmethod
    def from_record(cls, form: Mapping[str, Any]) -> Self:
        """The current identity a record's canonical form (``inputs``, of any older version) stands for."""
        data = dict(form)
        version = data.pop(VERSION_KEY, 1)
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise IdentityError(f"{cls.kind}: recorded identity version {version!r} is not a version")
        if version > cls.version:
            raise NewerIdentity(
                f"{cls.kind}: recorded with identity version {version}, newer than this reconciler's "
                f"{cls.version}"
            )
        if version < cls.version:
            data = cls.upgrade(version, data)
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise IdentityError(f"{cls.kind}: the recorded identity does not fit: {exc}") from exc


def digest(form: Mapping[str, Any]) -> str:
    """The fingerprint of a canonical form (the same bytes the first layout hashed)."""
    canonical = json.dumps(form, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def canonical_form(identity: Identity | Mapping[str, Any]) -> dict[str, Any]:
    """The canonical form of an identity (a mapping is taken as one already)."""
    return identity.canonical() if isinstance(identity, Identity) else dict(identity)


def same(wanted: Identity, fingerprint: str | None, recorded: Mapping[str, Any] | None = None) -> bool:
    """Whether a record (its fingerprint and, if kept, its canonical form) is for ``wanted``.

    Equal fingerprints are the same.  Otherwise the recorded form, if it is
    whole (its digest is the recorded fingerprint), is read through the
    current identity (upgraded from an older version, ids normalised) and
    compared again: a record of an older version for the same inputs is the
    same object, not a reason for a new job.  A record of a *newer* version
    than this reconciler knows is a ``PlanError``, never a replacement.
    """
    print_ = wanted.fingerprint()
    if fingerprint == print_:
        return True
    if fingerprint is None or not recorded or digest(recorded) != fingerprint:
        return False
    try:
        return type(wanted).from_record(recorded).fingerprint() == print_
    except NewerIdentity as exc:
        # Planning it as "changed" would replace what a newer reconciler made: refuse instead.
        raise errors.PlanError(
            str(exc), hint="use a reconciler at least as new as the one that wrote the state"
        ) from exc
    except (IdentityError, ValueError):
        return False


def same_config(shown: Any, wanted: BaseModel) -> bool:
    """Whether a config model as a platform echoes it (``ModelParam``) is ``wanted``, by the identity rule.

    A field the echo lacks is read at its default, and fields at their default
    are left out on both sides: an object made before a field was added still
    matches a spec that leaves the field at its default.  An echo that does not
    fit the model (unknown fields, wrong types) does not match.
    """
    if not isinstance(shown, Mapping):
        return False
    try:
        echoed = type(wanted).model_validate(dict(shown))
    except ValidationError:
        return False
    return _fields(echoed) == _fields(wanted)


def _fields(model: BaseModel) -> dict[str, Any]:
    always: frozenset[str] = getattr(type(model), "identity_always", frozenset())
    form: dict[str, Any] = {}
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        at_default = not info.is_required() and value == info.get_default(call_default_factory=True)
        if at_default and name not in always:
            continue
        form[name] = _value(value)
    return form


def _value(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return _fields(value)
    if isinstance(value, Mapping):
        return {str(key): _value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_value(item) for item in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    isoformat = getattr(value, "isoformat", None)
    return isoformat() if callable(isoformat) else str(value)
