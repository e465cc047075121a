"""moved blocks on a state document: which records move where, and what is an error (pure)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler import errors
from reconciler.engine.moves import AlreadyThere, NothingThere, apply_moves, move_records
from reconciler.engine.plan import Move
from reconciler.spec.document import Location, MovedBlock, Spec, StateConfig
from reconciler.state.document import ResourceState, StateDocument

HERE = Location("spec.yaml", 1, 1)


def spec(*moves: tuple[str, str]) -> Spec:
    blocks = tuple(
        MovedBlock(
            source=source,
            to=to,
            location=Location("spec.yaml", line, 3),
            source_location=Location("spec.yaml", line, 11),
            to_location=Location("spec.yaml", line, 40),
        )
        for line, (source, to) in enumerate(moves, start=10)
    )
    return Spec(
        files=(Path("spec.yaml"),),
        base_dir=Path(),
        version=1,
        state=StateConfig(),
        providers={},
        resources={},
        moved=blocks,
    )


def state(*addresses: str, moved_from: dict[str, list[str]] | None = None) -> StateDocument:
    kinds = {address: ".".join(address.split("].")[-1].split(".")[:2]) for address in addresses}
    return StateDocument(
        resources={
            address: ResourceState(
                type=kinds[address],
                provider="alviss",
                outputs={"id": index},
                moved_from=(moved_from or {}).get(address, []),
            )
            for index, address in enumerate(addresses)
        }
    )


@pytest.mark.parametrize(
    ("recorded", "moves", "expected"),
    [
        # a renamed resource
        (
            ["alviss.upload.a", "alviss.upload.b"],
            [("alviss.upload.a", "alviss.upload.c")],
            {"alviss.upload.a": "alviss.upload.c"},
        ),
        # a resource given for_each: its record becomes one instance
        (
            ["alviss.refit.r"],
            [("alviss.refit.r", "alviss.refit.r[se]")],
            {"alviss.refit.r": "alviss.refit.r[se]"},
        ),
        # every instance of a renamed resource
        (
            ["alviss.refit.r[se]", "alviss.refit.r[no]", "alviss.refit.rr[se]"],
            [("alviss.refit.r", "alviss.refit.weekly")],
            {
                "alviss.refit.r[se]": "alviss.refit.weekly[se]",
                "alviss.refit.r[no]": "alviss.refit.weekly[no]",
            },
        ),
        # one instance to a module instance
        (
            ["alviss.refit.r[se]"],
            [("alviss.refit.r[se]", "module.market[se].alviss.refit.weekly")],
            {"alviss.refit.r[se]": "module.market[se].alviss.refit.weekly"},
        ),
        # a renamed module call: everything inside it, keys kept
        (
            ["module.m[se].alviss.upload.u", "module.m[no].alviss.upload.u", "module.mm.alviss.upload.u"],
            [("module.m", "module.market")],
            {
                "module.m[se].alviss.upload.u": "module.market[se].alviss.upload.u",
                "module.m[no].alviss.upload.u": "module.market[no].alviss.upload.u",
            },
        ),
        # a module given for_each
        (
            ["module.m.alviss.upload.u"],
            [("module.m", "module.m[se]")],
            {"module.m.alviss.upload.u": "module.m[se].alviss.upload.u"},
        ),
        # a chain is one move
        (
            ["alviss.upload.a"],
            [("alviss.upload.a", "alviss.upload.b"), ("alviss.upload.b", "alviss.upload.c")],
            {"alviss.upload.a": "alviss.upload.c"},
        ),
    ],
)
def test_moves(recorded: list[str], moves: list[tuple[str, str]], expected: dict[str, str]) -> None:
    before = state(*recorded)
    after, done = apply_moves(spec(*moves), before)
    assert {move.source: move.to for move in done} == expected
    assert set(after.resources) == {expected.get(address, address) for address in recorded}
    for old, new in expected.items():
        assert after.resources[new].outputs == before.resources[old].outputs
        assert after.resources[new].moved_from[0] == old


def test_an_applied_block_is_passed_over_and_the_next_one_still_applies() -> None:
    recorded = state(
        "alviss.upload.b", "alviss.upload.x", moved_from={"alviss.upload.b": ["alviss.upload.a"]}
    )
    after, done = apply_moves(
        spec(("alviss.upload.a", "alviss.upload.b"), ("alviss.upload.x", "alviss.upload.y")), recorded
    )
    assert done == (Move("alviss.upload.x", "alviss.upload.y"),)
    assert after.resources["alviss.upload.y"].moved_from == ["alviss.upload.x"]


def test_every_problem_is_reported_at_its_block() -> None:
    recorded = state("alviss.upload.a", "alviss.upload.b")
    with pytest.raises(errors.SpecErrors) as caught:
        apply_moves(
            spec(("alviss.upload.zz", "alviss.upload.c"), ("alviss.upload.a", "alviss.upload.b")), recorded
        )
    assert [str(error).splitlines()[0] for error in caught.value.errors] == [
        "spec.yaml:10:11: moved from 'alviss.upload.zz': nothing is recorded there, "
        "and no earlier moved block takes a record there",
        "spec.yaml:11:40: moved to 'alviss.upload.b': alviss.upload.b is already in the state",
    ]


def test_no_blocks_no_change() -> None:
    recorded = state("alviss.upload.a")
    assert apply_moves(spec(), recorded) == (recorded, ())


def test_move_records_keeps_order_and_refuses_clashes() -> None:
    records = state("alviss.upload.a", "alviss.upload.b", "alviss.upload.c").resources
    moved, taken = move_records(records, "alviss.upload.b", "alviss.upload.z")
    assert list(moved) == ["alviss.upload.a", "alviss.upload.z", "alviss.upload.c"] and taken == {
        "alviss.upload.b": "alviss.upload.z"
    }
    assert moved["alviss.upload.z"].moved_from == []  # state mv: nothing written in the spec to remember
    with pytest.raises(NothingThere):
        move_records(records, "alviss.upload.q", "alviss.upload.z")
    with pytest.raises(AlreadyThere):
        move_records(records, "alviss.upload.a", "alviss.upload.b")
