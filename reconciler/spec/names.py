"""The grammar of names in a spec, and "did you mean" for names that miss.

Addresses and provider instances are the spec's identifiers: they key the
state document and appear in every plan line, so they are kept to one plain
alphabet that survives shells, URLs and file names without quoting.  This
module is the one parser of them; nothing else splits an address on ``.``
(an instance key may hold a dot).

    alviss.upload.sales                      a resource (also a for_each template)
    alviss.refit.weekly[se]                  one instance of a resource with for_each
    data.alviss.model.latest                 a data source
    module.market[se].alviss.refit.weekly    a resource inside one instance of a module
    module.a[x].module.b.data.akkio.dataset.d   modules nest; a module without for_each has no key
    alviss  alviss.se  alviss.market[se]     provider instances (the last from a for_each)

A key (``se``, ``m31``, ``2024.w46``) is ``[A-Za-z0-9_][A-Za-z0-9_.-]*``,
written without quotes; ``[`` and ``]`` never appear inside one.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

__all__ = [
    "KEY_RULE",
    "RESERVED",
    "SECRETISH",
    "Address",
    "ModuleStep",
    "ProviderName",
    "check_key",
    "instance",
    "parse_address",
    "parse_instance",
    "parse_provider",
    "parse_provider_name",
    "resource_of",
    "suggest",
    "type_of",
]

#: Key names of credentials (``token``, ``api_key``, ``dsn``…): their values are never quoted back.
SECRETISH = re.compile(r"token|secret|password|passwd|api_?key|dsn|credential", re.IGNORECASE)

_WORD = re.compile(r"[a-z][a-z0-9_]*")
_NAME = re.compile(r"[a-z][a-z0-9_-]*")
_ALIAS = re.compile(r"[a-z0-9_-]+")
_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")

_NAME_RULE = "lowercase letters, digits, '_' and '-', starting with a letter"
_WORD_RULE = "lowercase letters, digits and '_', starting with a letter"
#: What an instance key may hold, for messages.
KEY_RULE = "letters, digits, '_', '.' and '-', starting with a letter, digit or '_'"

#: Words that start a prefix of an address, so never a platform's name.
RESERVED = ("module", "data")


@dataclass(frozen=True)
class ModuleStep:
    """One ``module.NAME`` or ``module.NAME[KEY]`` step at the front of an address."""

    name: str
    key: str | None = None

    def __str__(self) -> str:
        return f"module.{self.name}" + (f"[{self.key}]" if self.key is not None else "")


@dataclass(frozen=True)
class Address:
    """A parsed resource or data source address, an instance of one or not, in a module or not."""

    platform: str
    kind: str
    name: str
    key: str | None = None
    data: bool = False
    modules: tuple[ModuleStep, ...] = ()

    def __str__(self) -> str:
        return self.prefix + self.local

    @property
    def type(self) -> str:
        """``platform.type`` (``alviss.model`` for ``data.alviss.model.x`` too)."""
        return f"{self.platform}.{self.kind}"

    @property
    def prefix(self) -> str:
        """The module path with its trailing dot (``module.a[x].``), or ``""`` at the top level."""
        return "".join(f"{step}." for step in self.modules)

    @property
    def local(self) -> str:
        """The address inside its module (``alviss.refit.weekly[se]``)."""
        base = ("data." if self.data else "") + f"{self.platform}.{self.kind}.{self.name}"
        return base + (f"[{self.key}]" if self.key is not None else "")

    @property
    def resource(self) -> str:
        """The address without this instance's own key (the resource block it came from)."""
        return str(replace(self, key=None))

    def with_key(self, key: str | None) -> Address:
        return replace(self, key=key)

    def within(self, modules: tuple[ModuleStep, ...]) -> Address:
        """The same address inside the module path ``modules`` (prepended to its own)."""
        return replace(self, modules=(*modules, *self.modules))


@dataclass(frozen=True)
class ProviderName:
    """A provider instance name: ``alviss``, ``alviss.se``, ``alviss.market[se]``, maybe in a module."""

    platform: str
    alias: str | None = None
    key: str | None = None
    modules: tuple[ModuleStep, ...] = ()

    def __str__(self) -> str:
        text = "".join(f"{step}." for step in self.modules) + self.platform
        if self.alias is not None:
            text += f".{self.alias}"
        return text + (f"[{self.key}]" if self.key is not None else "")

    @property
    def block(self) -> str:
        """The name without this instance's key (the providers entry it came from)."""
        return str(replace(self, key=None))


def check_key(key: str) -> str | None:
    """What is wrong with ``key`` as an instance key, or None."""
    if _KEY.fullmatch(key):
        return None
    if not key:
        return "an instance key cannot be empty"
    return f"instance key {key!r} is not allowed: use {KEY_RULE}"


def instance(address: str, key: str) -> str:
    """``alviss.refit.weekly`` with key ``se``: ``alviss.refit.weekly[se]``; a ValueError for a bad key."""
    problem = check_key(key)
    if problem is not None:
        raise ValueError(problem)
    return f"{address}[{key}]"


class _Scanner:
    """Reads an address left to right, so a mistake is named precisely (which part, which rule)."""

    def __init__(self, text: str, what: str, expected: str) -> None:
        self.text = text
        self.pos = 0
        self.what = what
        self.expected = expected

    def fail(self, detail: str | None = None) -> ValueError:
        message = f"invalid {self.what} {self.text!r}: " + (detail or f"expected {self.expected}")
        return ValueError(message)

    def part(self) -> str:
        """The text up to the next ``.`` or ``[`` (the ``.`` consumed by :meth:`dot`)."""
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in ".[]":
            self.pos += 1
        return self.text[start : self.pos]

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def dot(self) -> bool:
        if self.peek() == ".":
            self.pos += 1
            return True
        return False

    def key(self) -> str | None:
        """A ``[KEY]`` here, or None when there is none."""
        if self.peek() != "[":
            if self.peek() == "]":
                raise self.fail("a ']' without its '['")
            return None
        end = self.text.find("]", self.pos)
        if end < 0:
            raise self.fail("a '[' without its ']'")
        key = self.text[self.pos + 1 : end]
        if "[" in key:
            raise self.fail("a '[' inside an instance key")
        problem = check_key(key)
        if problem is not None:
            raise self.fail(problem)
        self.pos = end + 1
        return key

    def word(self, label: str, pattern: re.Pattern[str], rule: str) -> str:
        value = self.part()
        if not value:
            raise self.fail()
        if not pattern.fullmatch(value):
            raise self.fail(f"the {label} must be {rule}")
        return value

    def modules(self) -> tuple[ModuleStep, ...]:
        steps: list[ModuleStep] = []
        while self.text.startswith("module.", self.pos):
            self.pos += len("module.")
            name = self.word("module name", _NAME, _NAME_RULE)
            key = self.key()
            steps.append(ModuleStep(name, key))
            if not self.dot():
                raise self.fail()
        return tuple(steps)


@functools.lru_cache(maxsize=1 << 16)
def parse_instance(address: str) -> Address:
    """Parse any resource or data source address (module path, ``data.``, ``[KEY]``); ValueError if bad.

    Remembered (an :class:`Address` is immutable): loading a spec parses each address several times.
    """
    scan = _Scanner(address, "resource address", "'platform.type.name'")
    modules = scan.modules()
    data = address.startswith("data.", scan.pos)
    if data:
        scan.pos += len("data.")
        scan.what, scan.expected = "data source address", "'data.platform.type.name'"
    parts: list[str] = []
    for label, pattern, rule in (("platform", _WORD, _WORD_RULE), ("type", _WORD, _WORD_RULE)):
        parts.append(scan.word(label, pattern, rule))
        if not scan.dot():
            raise scan.fail()
    name = scan.word("name", _NAME, _NAME_RULE)
    key = scan.key()
    if not scan.at_end():
        raise scan.fail()
    if parts[0] in RESERVED:
        raise scan.fail(f"{parts[0]!r} is not a platform")
    return Address(parts[0], parts[1], name, key=key, data=data, modules=modules)


def parse_address(address: str) -> tuple[str, str, str]:
    """Split a resource block's address ``"alviss.upload.sales"`` into its parts; ValueError if bad.

    This is the key a person writes under ``resources:``; instances
    (``[KEY]``), modules and data sources are :func:`parse_instance`'s.
    """
    parsed = parse_instance(address)
    if parsed.key is not None or parsed.modules or parsed.data:
        raise ValueError(
            f"invalid resource address {address!r}: expected 'platform.type.name'"
            " (instances come from for_each, module paths from modules)"
        )
    return parsed.platform, parsed.kind, parsed.name


def parse_provider(name: str) -> ProviderName:
    """Parse ``alviss``, ``alviss.no``, ``alviss.market[se]`` (maybe in a module); ValueError if bad."""
    scan = _Scanner(
        name,
        "provider name",
        "'platform' or 'platform.alias' (alias: lowercase letters, digits, '_' and '-')",
    )
    modules = scan.modules()
    platform = scan.part()
    if not _WORD.fullmatch(platform) or platform in RESERVED:
        raise scan.fail()
    alias: str | None = None
    key: str | None = None
    if scan.dot():
        alias = scan.part()
        if not _ALIAS.fullmatch(alias):
            raise scan.fail()
        key = scan.key()
    if not scan.at_end():
        raise scan.fail()
    return ProviderName(platform, alias, key=key, modules=modules)


def parse_provider_name(name: str) -> tuple[str, str | None]:
    """Split ``"alviss.no"`` into ``("alviss", "no")``, ``"alviss"`` into ``("alviss", None)``.

    An instance keeps its key in the alias (``"alviss.market[se]"`` gives ``("alviss", "market[se]")``).
    """
    parsed = parse_provider(name)
    alias = parsed.alias
    if alias is not None and parsed.key is not None:
        alias += f"[{parsed.key}]"
    return parsed.platform, alias


def type_of(address: str) -> str:
    """``platform.type`` of any well-formed address; a ValueError when it is not one."""
    return parse_instance(address).type


def resource_of(address: str) -> str:
    """The address without its own instance key (``alviss.refit.weekly[se]`` → ``alviss.refit.weekly``)."""
    return parse_instance(address).resource


def suggest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to ``word``, if any is close enough to be a likely typo."""
    found = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return found[0] if found else None
