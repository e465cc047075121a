"""The dependency graph of a spec's resources.

Edges come from references and ``depends_on``; the spec loader has already
refused unknown addresses and cycles, so ordering here cannot fail for a
loaded spec.  ``graphlib`` from the standard library does the sorting.
"""

from __future__ import annotations

import graphlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from reconciler.spec.document import Spec
from reconciler.spec.refs import references


@dataclass(frozen=True)
class Graph:
    """Resources and what each depends on."""

    dependencies: Mapping[str, tuple[str, ...]]

    @classmethod
    def from_spec(cls, spec: Spec) -> Graph:
        deps: dict[str, tuple[str, ...]] = {}
        for address, resource in spec.resources.items():
            found = [ref.address for ref in references(resource.config)]
            found.extend(resource.depends_on)
            deps[address] = tuple(dict.fromkeys(dep for dep in found if dep in spec.resources))
        return cls(deps)

    def order(self) -> list[str]:
        """Addresses with every resource after all it depends on (stable for equal rank)."""
        sorter = graphlib.TopologicalSorter(self.dependencies)
        sorter.prepare()
        ordered: list[str] = []
        position = {address: index for index, address in enumerate(self.dependencies)}
        while sorter.is_active():
            ready = sorted(sorter.get_ready(), key=position.__getitem__)
            ordered.extend(ready)
            sorter.done(*ready)
        return ordered

    def dependents(self) -> dict[str, list[str]]:
        """For each address, the addresses that depend on it directly."""
        result: dict[str, list[str]] = {address: [] for address in self.dependencies}
        for address, deps in self.dependencies.items():
            for dep in deps:
                result[dep].append(address)
        return result

    def downstream(self, roots: Iterable[str]) -> set[str]:
        """Everything that depends, directly or not, on any of ``roots``."""
        children = self.dependents()
        seen: set[str] = set()
        stack = list(roots)
        while stack:
            for child in children.get(stack.pop(), []):
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
        return seen
