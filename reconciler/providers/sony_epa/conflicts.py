"""Resources of one spec that would fight over which retrain job a Sony EPA model's API serves.

A provider instance is one model (its API key alone names the model), and the
API serves one retrain job at a time.  Whatever switches it, a ``sony_epa.pin``
or a ``sony_epa.retrain`` with ``switch: true`` (its default), must be the only
one doing so for that model: two of them would switch it back and forth, each
apply undoing the other.  ``validate`` and ``plan`` refuse such a spec before
anything is read or sent, located at the later resource (the spec's order,
after ``for_each`` and modules are expanded: instances of other provider
instances are other models) and naming the first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from reconciler.errors import SpecError
from reconciler.spec.document import Location, ResourceSpec
from reconciler.spec.messages import spec_error

PIN = "sony_epa.pin"
RETRAIN = "sony_epa.retrain"


def display_file(path: str) -> str:
    """A spec file as messages name it: its name (the error's own location gives the full path)."""
    return Path(path).name


def switch_conflicts(resources: Mapping[str, ResourceSpec]) -> list[SpecError]:
    """Every fight over one model's API in the spec: a pin beside a switching retrain, two pins, two
    switching retrains.  Each problem is located and names the resource it fights with."""
    pins = _by_model(resource for resource in resources.values() if resource.type == PIN)
    switching = _by_model(resource for resource in resources.values() if _switches(resource))
    problems = _pins_against_retrains(pins, switching)
    for model, found in pins.items():
        first = found[0]
        problems.extend(
            spec_error(
                f"{pin.address}: pins the model's API of provider {model} to a retrain job, while "
                f"{_named(first)} already pins it: the two would switch it back and forth",
                pin.location,
                hint=_instances_hint(pin, first)
                or f"keep one sony_epa.pin per model: remove {pin.address} or {first.address} (another "
                "model has its own provider instance, with its own API key)",
            )
            for pin in found[1:]
        )
    for model, found in switching.items():
        first = found[0]
        problems.extend(
            spec_error(
                f"{retrain.address}: {_said(retrain)} switches the model's API of provider {model} to "
                f"each new retrain, while {_named(first)} switches it to its own: the two would switch "
                "it back and forth",
                _switch_at(retrain),
                hint=_instances_hint(retrain, first)
                or f"set switch: false on {retrain.address}, so that only {first.address} switches the "
                "model's API (or pin the job to serve with a sony_epa.pin and set switch: false on both)",
            )
            for retrain in found[1:]
        )
    return problems


def _pins_against_retrains(
    pins: Mapping[str, list[ResourceSpec]], switching: Mapping[str, list[ResourceSpec]]
) -> list[SpecError]:
    """One error per pin and switching retrain of one model, at the retrain's ``switch``."""
    problems: list[SpecError] = []
    for model, retrains in switching.items():
        for retrain in retrains:
            problems.extend(
                spec_error(
                    f"{retrain.address}: {_said(retrain)} switches the model's API of provider {model} "
                    f"to each new retrain, while {_named(pin)} pins that API to one retrain job: the two "
                    "would switch it back and forth",
                    _switch_at(retrain),
                    hint=f"set switch: false on {retrain.address} and let the pin decide which job the "
                    f"API serves (a pin with retrain: {retrain.address} follows this retrain), or remove "
                    "the pin",
                )
                for pin in pins.get(model, [])
            )
    return problems


def _instances_hint(later: ResourceSpec, first: ResourceSpec) -> str | None:
    """Where both are instances of one template (``for_each``, a module's), what to change there."""
    if later.location != first.location:
        return None
    return (
        f"every instance of this {later.type} uses provider {later.provider}: give each instance its own "
        "model, e.g. a provider block with the same for_each and provider: NAME[${each.key}] (or, in a "
        "module, map its provider per instance in the call's providers:)"
    )


def _by_model(resources: Iterable[ResourceSpec]) -> dict[str, list[ResourceSpec]]:
    """Resources grouped by provider instance (one model each), in the spec's order."""
    grouped: dict[str, list[ResourceSpec]] = {}
    for resource in resources:
        grouped.setdefault(resource.provider, []).append(resource)
    return grouped


def _switches(resource: ResourceSpec) -> bool:
    return resource.type == RETRAIN and bool(getattr(resource.config, "switch", False))


def _said(retrain: ResourceSpec) -> str:
    return "switch: true" if ("switch",) in retrain.field_locations else "switch (true when not set)"


def _switch_at(retrain: ResourceSpec) -> Location:
    return retrain.field_locations.get(("switch",), retrain.location)


def _named(resource: ResourceSpec) -> str:
    """``sony_epa.pin.a (spec.yaml:10)``: a resource as another's error names it."""
    at = resource.location
    return f"{resource.address} ({display_file(at.file)}:{at.line})"
