"""One error hierarchy for everything the reconciler can report to a user.

Every failure a user can meet is a :class:`ReconcilerError`; the command line
maps its subclasses to exit codes and prints ``str(error)`` (never a
traceback).  Lower-level exceptions (httpx, psycopg, OSError, yaml) are
chained with ``raise ... from exc`` and never escape a layer on their own.

    ReconcilerError
    ├── SpecError                 a spec file is wrong (always carries file:line:col)
    │   └── SpecErrors            several SpecError at once
    ├── StateError                the state document cannot be read or written
    │   ├── StateCorrupt
    │   ├── StateWriteFailed      (an emergency copy was written; see .emergency_path)
    │   ├── StateLocked           another process holds the lock (see .holder)
    │   └── EmulatorWorldError    an in-process emulator's world cannot be kept (permissions, a full disk)
    ├── ProviderError             a platform call failed
    │   ├── TransportError        the network failed (after retries)
    │   │   └── OutcomeUnknown    a creating request may have been applied: look it up first
    │   ├── ApiError              the platform answered with an error status
    │   │   ├── AuthError         401/403: token rejected
    │   │   └── NotFound          404
    │   ├── MalformedAnswer       an answer does not have the documented shape (names call and field)
    │   ├── JobFailed             a platform job ended in a failure word
    │   └── JobTimeout            a job did not finish before the deadline
    ├── PlanError                 a plan cannot be made or applied
    └── Interrupted               the user interrupted (SIGINT)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


class ReconcilerError(Exception):
    """Base of every error the reconciler reports."""

    exit_code: int = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n  hint: {self.hint}"
        return self.message


class SpecError(ReconcilerError):
    """A spec file is wrong; names the place as ``file:line:col``.

    ``excerpt``, when given, is the text of that line: it is shown under the
    message with a caret under the column (YAML syntax errors carry it).
    """

    def __init__(
        self,
        message: str,
        *,
        file: str,
        line: int,
        column: int,
        hint: str | None = None,
        excerpt: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.file = file
        self.line = line
        self.column = column
        self.excerpt = excerpt

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}"
        if self.excerpt is not None:
            text += "\n" + caret_lines(self.excerpt, line=self.line, column=self.column)
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


_SHOWN = 100  # characters of a long line shown around the column


def _visible(char: str) -> str:
    """A tab as ``→``, another control character as ``·``: one column each, so the caret lines up."""
    if char == "\t":
        return "→"
    return "·" if char.isascii() and not char.isprintable() else char


def caret_lines(excerpt: str, *, line: int, column: int) -> str:
    """The line as two lines, ``  12 | text`` and a caret under ``column`` (1-based, in characters).

    Tabs and other control characters are shown as one visible character each
    (a tab as ``→``), so the caret stays under the column; a long line is cut
    around the column, with ``…`` where it was cut.
    """
    shown = "".join(_visible(char) for char in excerpt)
    offset = max(column - 1, 0)
    start = max(0, min(offset - _SHOWN // 2, len(shown) - _SHOWN))
    end = start + _SHOWN
    window = ("…" if start else "") + shown[start:end] + ("…" if end < len(shown) else "")
    offset = offset - start + (1 if start else 0)
    number = f"{line} | "
    return f"  {number}{window}\n  {' ' * (len(number) - 2)}| {' ' * offset}^"


class SpecErrors(SpecError):
    """Several spec errors found in one pass, reported together."""

    def __init__(self, errors: Sequence[SpecError]) -> None:
        first = errors[0]
        super().__init__(
            first.message,
            file=first.file,
            line=first.line,
            column=first.column,
            hint=first.hint,
            excerpt=first.excerpt,
        )
        self.errors = list(errors)

    def __str__(self) -> str:
        return "\n".join(str(error) for error in self.errors)


class StateError(ReconcilerError):
    """The state document cannot be read or written."""


class StateCorrupt(StateError):
    """The state document does not parse or breaks an invariant."""


class StateWriteFailed(StateError):
    """Writing the state failed; an emergency copy holds what would have been written."""

    def __init__(self, message: str, *, emergency_path: str | None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.emergency_path = emergency_path


class StateLocked(StateError):
    """Another process holds the state lock.

    ``hint_for`` makes the hint for the spec argument the user gave, so that the
    ``force-unlock`` command it prints works as printed; the state layer does not
    know that argument and fills in ``SPEC`` until the workflow names it (:meth:`name_spec`).
    """

    def __init__(
        self,
        message: str,
        *,
        holder: dict[str, Any] | None = None,
        hint: str | None = None,
        hint_for: Callable[[str], str] | None = None,
    ) -> None:
        super().__init__(message, hint=hint_for("SPEC") if hint_for is not None and hint is None else hint)
        self.holder = holder or {}
        self.hint_for = hint_for

    def name_spec(self, spec: str) -> None:
        """Say ``spec`` (already quoted for a shell) where the hint's command needs the spec."""
        if self.hint_for is not None:
            self.hint = self.hint_for(spec)


class EmulatorWorldError(StateError):
    """An in-process emulator's world (its SQLite file) cannot be opened or written.

    A state error: like the state, the world is local storage, and without it
    nothing more may start.
    """


class ProviderError(ReconcilerError):
    """A platform call failed."""


class TransportError(ProviderError):
    """The network failed and retries did not help."""


class OutcomeUnknown(TransportError):
    """A creating request may have been applied; look the object up before resending."""

    @classmethod
    def may_exist(cls, message: str) -> OutcomeUnknown:
        """``message`` about a creating call whose answer says nothing usable: the object may exist."""
        return cls(
            f"{message}; the platform may have created the object",
            hint="the call stays recorded; the object is looked up before anything is sent again",
        )


class ApiError(ProviderError):
    """The platform answered with an error status."""

    def __init__(self, message: str, *, status: int, body: str = "", hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.body = body


class AuthError(ApiError):
    """The platform rejected the credentials (401/403)."""


class NotFound(ApiError):
    """The platform does not know the object (404)."""


class MalformedAnswer(ProviderError):
    """A platform answer that cannot be read: not JSON, too big or deep, or not the documented shape.

    Never a fact the planner acts on.  ``call`` is ``"METHOD /path"`` and
    ``field`` the dotted path of the first offending field (empty for the body
    as a whole).
    """

    def __init__(self, message: str, *, call: str, field: str = "", hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.call = call
        self.field = field


def unreadable_answer(
    message: str, *, call: str, field: str = "", creates: bool, hint: str | None = None
) -> ProviderError:
    """An answer that cannot be read: an unknown outcome for a creating call, else a malformed answer."""
    if creates:
        return OutcomeUnknown.may_exist(message)
    return MalformedAnswer(message, call=call, field=field, hint=hint)


class JobFailed(ProviderError):
    """A platform job ended in a failure word; carries the platform's message."""


class JobTimeout(ProviderError):
    """A job was still running when the deadline passed; it stays recorded as pending."""


class PlanError(ReconcilerError):
    """A plan cannot be made or applied."""


class Interrupted(ReconcilerError):
    """The user interrupted the run."""

    exit_code = 130


def os_hint(exc: OSError) -> str | None:
    """What to do about an operating-system failure to write (a full disk, permissions), if known."""
    import errno

    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full: free some space there, then run again"
    if exc.errno == errno.EROFS:
        return "that file system is mounted read-only: use a directory on a writable one"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "make it writable for this user (chmod, chown), or use a directory that is"
    return None
