"""YAML to plain Python values, remembering where every key and value was written.

``yaml.safe_load`` forgets positions, and every spec error must name
``file:line:col``.  So the file is composed into PyYAML's node tree and the
values are built here, recording the 1-based position of each key and value
under its path (``("resources", "alviss.upload.a", "file")``).  Building by
hand also lets the loader reject what ``safe_load`` silently accepts:
duplicate keys (the later one would win unseen), recursive aliases, and alias
bombs that expand to millions of nodes.

Keys are always the text as written (``1:`` and ``yes:`` are the strings
``"1"`` and ``"yes"``), because spec keys are names.  Timestamps stay strings,
so a date-like value reaches the pydantic model as the person wrote it, and
only ``true`` and ``false`` are booleans, as in YAML 1.2 (``[se, no]`` is
two market keys; a boolean setting still reads ``yes`` and ``no``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.errors import SpecError
from reconciler.spec.document import Location
from reconciler.spec.yamlerrors import source_line, syntax_error

__all__ = ["Document", "YamlPath", "parse_yaml"]

YamlPath = tuple[str | int, ...]

_TAG = "tag:yaml.org,2002:"
_TAG_HINT = "remove the '!…' tag (a spec needs none), or quote the value if '!' is meant literally"
# An alias may repeat a subtree; past this many built nodes the file is an alias bomb, not a spec.
_MAX_NODES = 100_000

# libyaml's composer (when PyYAML was built with it) is an order of magnitude faster and keeps
# the same marks; the pure-Python one gives identical trees.
_LOADER: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class Document:
    """One spec file as plain values, with the position of every key and value."""

    file: str
    value: Any
    values: dict[YamlPath, Location] = field(default_factory=dict)
    keys: dict[YamlPath, Location] = field(default_factory=dict)
    # Original text of strings changed by ``${env:...}`` interpolation: shown in place of secrets.
    sources: dict[YamlPath, str] = field(default_factory=dict)
    # Values whose interpolation failed (already reported; later checks stay quiet about them).
    broken: set[YamlPath] = field(default_factory=set)
    _below: dict[int, dict[YamlPath, dict[YamlPath, Location]]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def start(self) -> Location:
        return Location(self.file, 1, 1)

    def at(self, path: YamlPath) -> Location:
        """Where the value at ``path`` (or its nearest recorded ancestor) was written."""
        for end in range(len(path), 0, -1):
            found = self.values.get(path[:end])
            if found is not None:
                return found
        return self.start()

    def under(self, prefix: YamlPath) -> dict[YamlPath, Location]:
        """Where each value below ``prefix`` was written, keyed by its path relative to ``prefix``.

        Built once per prefix length, so finding the places of every resource's
        fields stays linear in the size of the spec.
        """
        size = len(prefix)
        index = self._below.get(size)
        if index is None:
            index = {}
            for path, where in self.values.items():
                if len(path) > size:
                    index.setdefault(path[:size], {})[path[size:]] = where
            self._below[size] = index
        return index.get(prefix, {})

    def view(self, path: YamlPath) -> Document:
        """A document for one instance of the entry at ``path``: the same places, its own values.

        Expansion gives each instance of a template its own values (set
        ``value`` after evaluating), text of secret strings and failed paths,
        while every location, and the index of them, stays the template's.
        """
        return Document(
            file=self.file,
            value=None,
            values=self.values,
            keys=self.keys,
            broken={broken for broken in self.broken if broken[: len(path)] == path},
            _below=self._below,
        )

    def value_at(self, path: YamlPath) -> Any:
        """The value at ``path`` (a KeyError or IndexError where there is none)."""
        value: Any = self.value
        for part in path:
            value = value[part]
        return value

    def key_at(self, path: YamlPath) -> Location:
        """Where the key of the value at ``path`` was written (the value's place if it has no key)."""
        found = self.keys.get(path)
        return found if found is not None else self.at(path)


class _TooLarge(Exception):
    """Raised inside the builder to stop an alias bomb."""


def _location(file: str, mark: yaml.Mark | None) -> Location:
    if mark is None:
        return Location(file, 1, 1)
    return Location(file, mark.line + 1, mark.column + 1)


_BREAKS = "\0 \t\r\n\x85\u2028\u2029"


class _SpecLoader(yaml.SafeLoader):
    """PyYAML's safe loader, reading ``${…}`` and ``[KEY]`` inside a plain value in flow context too.

    YAML ends a plain scalar inside ``[…]`` or ``{…}`` at any bracket or
    brace, so ``contains: [alviss.upload.sales[${each.key}]]`` and
    ``{country: ${each.value.country}}`` would be syntax errors; a spec writes
    both all the time.  Here a ``${…}`` anywhere in a plain scalar, and a
    ``[…]`` right after its first character (an instance key), belong to it.
    Every document YAML reads is read the same; only these errors become values.
    """

    def _inner(self, length: int) -> int:
        """How far a ``${…}`` or ``[KEY]`` starting ``length`` characters ahead reaches (0: none)."""
        ch = self.peek(length)
        if ch == "$" and self.peek(length + 1) == "{":
            end = length + 2
            while self.peek(end) not in "}" + _BREAKS:
                end += 1
            return end + 1 - length if self.peek(end) == "}" else 0
        if ch == "[" and length > 0:
            end = length + 1
            while True:
                ahead = self.peek(end)
                if ahead == "]":
                    return end + 1 - length
                if ahead == "$" and self.peek(end + 1) == "{":
                    reach = self._inner(end)
                    if not reach:
                        return 0
                    end += reach
                elif ahead in ",[{}" + _BREAKS:
                    return 0
                else:
                    end += 1
        return 0

    def scan_plain(self) -> yaml.ScalarToken:
        if not self.flow_level:
            return super().scan_plain()
        chunks: list[str] = []
        start_mark = self.get_mark()
        end_mark = start_mark
        indent = self.indent + 1
        spaces: list[str] = []
        while True:
            length = 0
            if self.peek() == "#":
                break
            while True:
                ch = self.peek(length)
                reach = self._inner(length) if ch in "$[" else 0
                if reach:
                    length += reach
                    continue
                if (
                    ch in _BREAKS
                    or (ch == ":" and self.peek(length + 1) in _BREAKS + ",[]{}")
                    or ch in ",?[]{}"
                ):
                    break
                length += 1
            if length == 0:
                break
            self.allow_simple_key = False
            chunks.extend(spaces)
            chunks.append(self.prefix(length))
            self.forward(length)
            end_mark = self.get_mark()
            spaces = self.scan_plain_spaces(indent, start_mark) or []
            if not spaces or self.peek() == "#":
                break
        return yaml.ScalarToken("".join(chunks), True, start_mark, end_mark)


def _compose(text: str) -> Node | None:
    """The node tree, through libyaml when available; a file it refuses is parsed again by the
    pure-Python loader, which reads ``${…}`` in flow context and whose messages say more (it names
    the offending character)."""
    if _LOADER is yaml.SafeLoader:
        return yaml.compose(text, Loader=_SpecLoader)
    try:
        return yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError:
        return yaml.compose(text, Loader=_SpecLoader)


def parse_yaml(text: str, *, file: str, errors: list[SpecError]) -> Document | None:
    """Build ``text`` into a :class:`Document`; problems go to ``errors``, None when nothing is usable."""
    try:
        root = _compose(text)
    except yaml.YAMLError as exc:
        errors.append(syntax_error(exc, file=file, text=text))
        return None
    except RecursionError:
        errors.append(
            SpecError("invalid YAML: the document is nested too deeply", file=file, line=1, column=1)
        )
        return None
    if root is None:
        errors.append(SpecError("the spec file is empty", file=file, line=1, column=1))
        return None
    builder = _Builder(file, errors, text=text)
    try:
        value = builder.build(root, ())
    except _TooLarge:
        where = _location(file, root.start_mark)
        errors.append(
            SpecError(
                f"the document expands to more than {_MAX_NODES} values through aliases",
                file=where.file,
                line=where.line,
                column=where.column,
            )
        )
        return None
    except RecursionError:
        errors.append(SpecError("the document is nested too deeply", file=file, line=1, column=1))
        return None
    return Document(file=file, value=value, values=builder.values, keys=builder.keys, broken=builder.broken)


class _Builder:
    """Turns composed nodes into values, recording positions and reporting duplicates."""

    def __init__(self, file: str, errors: list[SpecError], *, text: str = "") -> None:
        self.file = file
        self.text = text
        self.errors = errors
        self.values: dict[YamlPath, Location] = {}
        self.keys: dict[YamlPath, Location] = {}
        self.broken: set[YamlPath] = set()
        self._constructor = SafeConstructor()
        self._active: set[int] = set()
        self._count = 0

    def _error(
        self, message: str, node: Node, path: YamlPath | None = None, *, hint: str | None = None
    ) -> None:
        if path is not None:
            self.broken.add(path)  # reported here; later checks stay quiet about this value
        where = _location(self.file, node.start_mark)
        excerpt = source_line(self.text, where.line) if self.text else None
        self.errors.append(
            SpecError(
                message, file=where.file, line=where.line, column=where.column, hint=hint, excerpt=excerpt
            )
        )

    def build(self, node: Node, path: YamlPath) -> Any:
        self._count += 1
        if self._count > _MAX_NODES:
            raise _TooLarge
        self.values[path] = _location(self.file, node.start_mark)
        if isinstance(node, ScalarNode):
            return self._scalar(node, path)
        if id(node) in self._active:
            self._error(
                "recursive alias: a value cannot contain itself",
                node,
                path,
                hint="an alias (*name) may repeat a value defined before it, not one that holds it",
            )
            return None
        self._active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                self._check_tag(node, "seq")
                return [self.build(item, (*path, index)) for index, item in enumerate(node.value)]
            if isinstance(node, MappingNode):
                self._check_tag(node, "map")
                return self._mapping(node, path)
        finally:
            self._active.discard(id(node))
        self._error("unsupported YAML node", node)
        return None

    def _check_tag(self, node: Node, kind: str) -> None:
        if node.tag != _TAG + kind:
            self._error(f"unsupported YAML tag {node.tag!r}", node, hint=_TAG_HINT)

    def _scalar(self, node: ScalarNode, path: YamlPath) -> Any:
        if node.tag == _TAG + "timestamp":
            return node.value
        if node.tag == _TAG + "bool" and node.value.lower() not in ("true", "false"):
            return node.value  # YAML 1.2: `no` (Norway's market key) and `off` are words, not false
        try:
            return self._constructor.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError:
            self._error(f"unsupported YAML tag {node.tag!r}", node, path, hint=_TAG_HINT)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError):
            tag = node.tag.removeprefix(_TAG)
            self._error(f"cannot read {node.value[:60]!r} as a YAML {tag}", node, path, hint=_TAG_HINT)
        return None

    def _pairs(self, node: MappingNode) -> tuple[list[tuple[Node, Node]], list[tuple[Node, Node]]]:
        """The mapping's own entries, and the entries it merges in with ``<<``."""
        own: list[tuple[Node, Node]] = []
        merged: list[tuple[Node, Node]] = []
        for key_node, value_node in node.value:
            if key_node.tag != _TAG + "merge":
                own.append((key_node, value_node))
                continue
            sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
            for source in sources:
                if not isinstance(source, MappingNode) or id(source) in self._active:
                    self._error(
                        "a merge key '<<' takes a mapping or a list of mappings",
                        source,
                        hint="write <<: *name, where &name marks a mapping defined above",
                    )
                    continue
                self._active.add(id(source))
                try:
                    inner_own, inner_merged = self._pairs(source)
                finally:
                    self._active.discard(id(source))
                merged.extend(inner_own + inner_merged)
                self._count += len(inner_own) + len(inner_merged)
                if self._count > _MAX_NODES:
                    raise _TooLarge
        return own, merged

    def _mapping(self, node: MappingNode, path: YamlPath) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        own, merged = self._pairs(node)
        for key_node, value_node in own:
            if not isinstance(key_node, ScalarNode):
                self._error(
                    "a key must be a plain name, not a list or mapping",
                    key_node,
                    hint="write the key as a name followed by ': '",
                )
                continue
            key = str(key_node.value)
            if key in first_line:
                self._error(
                    f"duplicate key {key!r} (first defined on line {first_line[key]})",
                    key_node,
                    hint="keep one of them: a YAML mapping holds each key once",
                )
                continue
            first_line[key] = key_node.start_mark.line + 1
            self.keys[(*path, key)] = _location(self.file, key_node.start_mark)
            result[key] = self.build(value_node, (*path, key))
        for key_node, value_node in merged:
            if not isinstance(key_node, ScalarNode) or str(key_node.value) in result:
                continue  # explicit entries override merged ones; earlier merges win over later ones
            merged_key = str(key_node.value)
            self.keys[(*path, merged_key)] = _location(self.file, key_node.start_mark)
            result[merged_key] = self.build(value_node, (*path, merged_key))
        return result
