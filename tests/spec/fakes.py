"""A small registry standing in for the providers' models, so spec tests know no real platform."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal

import pytest
from pydantic import BaseModel, ConfigDict, SecretStr, field_validator

from reconciler.errors import SpecError, SpecErrors
from reconciler.spec import RefTo, SpecRegistry, load_spec
from reconciler.spec.variables import VarInputs


class AlvissProvider(BaseModel):
    model_config = ConfigDict(extra="forbid")

    endpoint: SecretStr | None = None
    token: SecretStr | None = None
    team: int
    project: int


class DatricsProvider(BaseModel):
    model_config = ConfigDict(extra="forbid")

    endpoint: str
    token: SecretStr | None = None


class Upload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataset_name: str
    file: str


class ActiveDataset(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contains: list[Annotated[str, RefTo("alviss.upload")]]


class Combination(BaseModel):
    model_config = ConfigDict(extra="forbid")

    country: str
    region: str = "all"


class Refit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: int | Annotated[str, RefTo("alviss.refit")]
    dataset: Annotated[str, RefTo("alviss.active_dataset")]
    train_fraction: float = 0.75
    mode: Literal["fast", "full"] = "full"
    combination: Combination | None = None


class Pipeline(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str

    @field_validator("name")
    @classmethod
    def _not_forbidden(cls, value: str) -> str:
        # Echoes its input, as careless validators do: the loader must mask secrets even then.
        if "forbidden" in value:
            raise ValueError(f"{value!r} is not allowed")
        return value


REGISTRY = SpecRegistry(
    providers={"alviss": AlvissProvider, "datrics": DatricsProvider},
    resources={
        "alviss.upload": Upload,
        "alviss.active_dataset": ActiveDataset,
        "alviss.refit": Refit,
        "datrics.pipeline": Pipeline,
    },
)


def spec_errors(
    source: str | Path | list[str | Path],
    *,
    environ: Mapping[str, str] | None = None,
    variables: VarInputs | None = None,
) -> list[str]:
    """The errors ``load_spec`` reports for ``source``, each as printed (``file:line:col: message``)."""
    with pytest.raises(SpecErrors) as caught:
        load_spec(source, registry=REGISTRY, environ={} if environ is None else environ, variables=variables)
    for error in caught.value.errors:
        assert type(error) is SpecError
    return [str(error) for error in caught.value.errors]
