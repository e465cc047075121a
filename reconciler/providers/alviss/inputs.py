"""What an Alviss job resource asks for: references resolved to upstream ids, its combination and dates.

A reference (``dataset: alviss.active_dataset.se``) is the upstream's output,
or "known after apply" while that upstream changes; a literal id is itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler import errors
from reconciler.answers import normalize_id
from reconciler.providers.alviss import shapes
from reconciler.providers.alviss.client import AlvissClient
from reconciler.providers.alviss.config import Combination, DatesFrom, Split
from reconciler.providers.base import Desired
from reconciler.vocabulary import KNOWN_AFTER_APPLY, is_known


def resolve(desired: Desired[Any], value: int | str | None, key: str) -> Any:
    """A literal id as is; a reference as its upstream's output ``key`` (maybe KNOWN_AFTER_APPLY)."""
    if value is None or isinstance(value, int):
        return value
    return desired.output(value, key)


def refs(*values: int | str | None) -> tuple[str, ...]:
    return tuple(value for value in values if isinstance(value, str))


def unknown_refs(desired: Desired[Any], *pairs: tuple[int | str | None, str]) -> tuple[str, ...]:
    """The references among ``pairs`` whose output is not known before apply."""
    return tuple(
        value for value, key in pairs if isinstance(value, str) and not is_known(desired.output(value, key))
    )


def split_dates(dates: list[str], fraction: float) -> tuple[list[str], list[str]]:
    """The vendor's split: the first ``int(len * fraction)`` dates train, the rest evaluate."""
    separator = int(len(dates) * fraction)
    return dates[:separator], dates[separator:]


def combination_of(model: shapes.Model | Mapping[str, Any]) -> dict[str, str]:
    """The model's modelling combination (SEEN: ``Country``, ``Region``, ``Grouping``)."""
    read = model if isinstance(model, shapes.Model) else shapes.Model.model_validate(model)
    if not read.Country:
        what = f"model {read.IId}" if read.IId is not None else "the source model"
        raise errors.MalformedAnswer(
            f"{what} has no Country: its modelling combination is unknown",
            call="GET /models/{model_id}",
            field="Country",
            hint="give the combination in the spec (combination: {country: …, region: …, grouping: …})",
        )
    return {
        "country_code": read.Country,
        "region_code": read.Region or "all",
        "grouping": read.Grouping or "all",
    }


async def train_eval_dates(
    client: AlvissClient,
    *,
    dataset_id: Any,
    combination: Combination | None,
    source: shapes.Model | None,
    split: Split,
    dates: DatesFrom | None = None,
) -> tuple[list[str], list[str]]:
    """Explicit dates as given; otherwise the dataset's dates for the combination(s), split."""
    if split.train_dates is not None and split.eval_dates is not None:
        return [day.isoformat() for day in split.train_dates], [day.isoformat() for day in split.eval_dates]
    found = await dataset_dates(
        client, dataset_id=dataset_id, combination=combination, source=source, dates=dates
    )
    return split_dates(found, split.train_fraction)


def date_query(
    combination: Combination | None, source: shapes.Model | None, dates: DatesFrom | None
) -> tuple[str, list[dict[str, str]]]:
    """The dates endpoint's query: the dataset type and the combinations (``dates``, else the one given,
    else the source model's)."""
    if dates is not None and dates.combinations is not None:
        combos = [item.wire() for item in dates.combinations]
    else:
        combos = [combination.wire() if combination else combination_of(source or shapes.Model())]
    return (dates.dataset_name if dates is not None else "Sales"), combos


async def dataset_dates(
    client: AlvissClient,
    *,
    dataset_id: Any,
    combination: Combination | None,
    source: shapes.Model | None,
    dates: DatesFrom | None,
) -> list[str]:
    """The dataset's dates for the query; an empty answer is an error naming the query."""
    dataset_name, combos = date_query(combination, source, dates)
    found = await client.dates(dataset_id, combos, dataset_name=dataset_name)
    if not found:
        shown = ", ".join(f"{c['country_code']}/{c['region_code']}/{c['grouping']}" for c in combos)
        raise errors.ProviderError(
            f"dataset {dataset_id} has no {dataset_name} dates for {shown}",
            hint=f"check the combination, or upload {dataset_name} data for it",
        )
    return found


def dates_shown(dates: DatesFrom) -> str:
    """``Media dates of SWE/all/all + NOR/all/all`` (or ``of the model's combination``), for a plan."""
    if dates.combinations is None:
        return f"{dates.dataset_name} dates of the model's combination"
    combos = " + ".join(f"{c.country}/{c.region}/{c.grouping}" for c in dates.combinations)
    return f"{dates.dataset_name} dates of {combos}"


def shown(value: Any) -> Any:
    return value if is_known(value) else KNOWN_AFTER_APPLY


def normalize(value: Any) -> Any:
    """An id in its one normal form (``"12"`` → ``12``); anything that is not an id as is."""
    try:
        return normalize_id(value)
    except ValueError:
        return value


def planned_model(source: Any, combination: Combination | None) -> shapes.Model | None:
    """A stand-in for a model still to be made: of ``combination``, or of its source model's; or None."""
    if combination is not None:
        return shapes.Model(
            Country=combination.country, Region=combination.region, Grouping=combination.grouping
        )
    if isinstance(source, shapes.Model) and source.Country:
        return shapes.Model(Country=source.Country, Region=source.Region, Grouping=source.Grouping)
    return None
