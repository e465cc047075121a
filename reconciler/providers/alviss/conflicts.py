"""Two resources that would take turns being a project's active dataset (or attribution set).

A project has one active dataset and one active attribution set.  Two
``alviss.active_dataset`` resources of one project that both activate would
each find the other's dataset active on every plan and activate their own
again: they would fight for ever.  ``validate`` (and so ``plan``) refuses
that, at the second one's ``activate`` (or its type line when ``activate``
is left at its default, true), naming the first; the same for two
activating ``alviss.active_attribution_set`` resources.

One project is what two provider instances reach alike: the same endpoint,
team and project (``7`` and ``"7"`` are one project).  So instances of one
``for_each`` resource, or of one module, in different projects never
conflict, and two instances in the same project do.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from reconciler.errors import SpecError
from reconciler.providers.alviss.config import AlvissConfig
from reconciler.spec.document import ProviderSpec, ResourceSpec
from reconciler.spec.messages import spec_error

#: The types of which a project has one active object, and what that object is called.
ACTIVE = {"alviss.active_dataset": "dataset", "alviss.active_attribution_set": "attribution set"}


def activation_conflicts(
    resources: Mapping[str, ResourceSpec], providers: Mapping[str, ProviderSpec]
) -> list[SpecError]:
    """One error per activating resource after the first of its type in one project, naming the first."""
    first: dict[tuple[str, str, str, str], ResourceSpec] = {}
    problems: list[SpecError] = []
    for resource in resources.values():  # in the order the spec writes them
        noun = ACTIVE.get(resource.type)
        if noun is None or getattr(resource.config, "activate", True) is False:
            continue
        project = _project(resource.provider, providers)
        key = (resource.type, *project)
        earlier = first.setdefault(key, resource)
        if earlier is resource:
            continue
        written = ("activate",) in resource.field_locations
        where = resource.field_locations.get(("activate",), resource.location)
        said = "activate: true" if written else "activate (true when not set)"
        at = earlier.location
        problems.append(
            spec_error(
                f"{resource.address}: {said} makes its {noun} project {project[1]}/{project[2]}'s "
                f"active {noun}, as {earlier.address} ({Path(at.file).name}:{at.line}) does: the two "
                f"would take turns being active, each apply activating its own {noun} again",
                where,
                hint=f"give all but one of them activate: false (e.g. {resource.address}); a {noun} "
                "built with activate: false is kept and can still be referred to",
            )
        )
    return problems


def _project(provider: str, providers: Mapping[str, ProviderSpec]) -> tuple[str, str, str]:
    """What a provider instance reaches: its endpoint, team and project (as text: 7 is "7")."""
    spec = providers.get(provider)
    if spec is None or not isinstance(spec.config, AlvissConfig):  # reported elsewhere: its own group
        return (provider, "?", "?")
    config = spec.config
    return (config.endpoint.rstrip("/"), str(config.team), str(config.project))
