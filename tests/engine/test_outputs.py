"""Outputs as apply records them: references read from the state just written, never guessed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconciler.engine.outputs import compute_outputs, record_outputs
from reconciler.spec.document import Location, OutputReference, OutputSpec, Spec, StateConfig
from reconciler.state.document import OutputState, ResourceState, StateDocument

HERE = Location("spec.yaml", 1, 1)


def spec(*outputs: OutputSpec) -> Spec:
    return Spec(
        files=(Path("spec.yaml"),),
        base_dir=Path(),
        version=1,
        state=StateConfig(),
        providers={},
        resources={},
        outputs={output.name: output for output in outputs},
    )


def output(name: str, value: Any, *refs: OutputReference, sensitive: bool = False) -> OutputSpec:
    return OutputSpec(
        name=name, value=value, description=None, sensitive=sensitive, location=HERE, references=refs
    )


def ref(
    path: tuple[str | int, ...], address: str, field: str | None = None, *instances: str
) -> OutputReference:
    return OutputReference(path=path, address=address, field=field, instances=instances or (address,))


def refit(model_id: int, status: str = "ready") -> ResourceState:
    return ResourceState.model_validate(
        {"type": "alviss.refit", "provider": "alviss", "status": status, "outputs": {"model_id": model_id}}
    )


def test_literal_and_referenced_values() -> None:
    state = StateDocument(resources={"alviss.refit.se": refit(12)})
    result = compute_outputs(
        spec(
            output("plain", {"a": [1, "x"]}),
            output("model", "alviss.refit.se.model_id", ref((), "alviss.refit.se", "model_id")),
            output("record", ["alviss.refit.se"], ref((0,), "alviss.refit.se"), sensitive=True),
        ),
        state,
    )
    assert result.notes == ()
    assert result.outputs == {
        "plain": OutputState(value={"a": [1, "x"]}),
        "model": OutputState(value=12),
        "record": OutputState(value=[{"model_id": 12}], sensitive=True),
    }


def test_a_for_each_resource_is_a_map_by_key() -> None:
    state = StateDocument(resources={"alviss.refit.w[se]": refit(12), "alviss.refit.w[no]": refit(13)})
    found = ref((), "alviss.refit.w", "model_id", "alviss.refit.w[se]", "alviss.refit.w[no]")
    result = compute_outputs(spec(output("models", "alviss.refit.w.model_id", found)), state)
    assert result.outputs["models"].value == {"se": 12, "no": 13}


def test_not_ready_keeps_the_earlier_value_with_a_note() -> None:
    earlier = OutputState(value=11)
    state = StateDocument(resources={"alviss.refit.se": refit(12, "pending")}, outputs={"model": earlier})
    model = output("model", "x", ref((), "alviss.refit.se", "model_id"))
    missing = output("other", "x", ref((), "alviss.refit.no", "model_id"))
    wrong = output("wrong", "x", ref((), "alviss.refit.se", "model"))
    result = compute_outputs(spec(model, missing, wrong), state)
    assert result.outputs == {"model": earlier}
    assert [str(note) for note in result.notes] == [
        "output 'model': alviss.refit.se has a job still running",
        "output 'other': alviss.refit.no is not applied yet",
        "output 'wrong': alviss.refit.se has a job still running",
    ]
    state = StateDocument(resources={"alviss.refit.se": refit(12)})
    notes = compute_outputs(spec(wrong), state).notes
    assert [str(note) for note in notes] == [
        "output 'wrong': alviss.refit.se has no output 'model' (it has: model_id); did you mean 'model_id'?"
    ]


def test_outputs_gone_from_the_spec_are_dropped_and_unchanged_ones_write_nothing() -> None:
    state = StateDocument(outputs={"old": OutputState(value=1), "kept": OutputState(value=2)})
    document, _ = record_outputs(spec(output("kept", 2)), state)
    assert document.outputs == {"kept": OutputState(value=2)}
    assert record_outputs(spec(output("kept", 2)), document)[0] is document


def test_a_data_source_reference_reads_what_the_plan_read() -> None:
    found = output("base", "x", ref((), "data.alviss.model.base", "model_id"))
    result = compute_outputs(spec(found), StateDocument(), data={"data.alviss.model.base": {"model_id": 3}})
    assert result.outputs["base"].value == 3 and result.notes == ()
