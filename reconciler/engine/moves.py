"""``moved:`` blocks: records follow a renamed resource, a new ``for_each`` key or a module, sending nothing.

The plan applies every block, in file order, to its copy of the state before
anything is decided, so each moved record is compared with the resource at
its new address (and is "in sync" there when nothing else changed); apply
writes the moved records first, as ``reconciler state mv`` would.  A block
names one record, every instance of a resource (``alviss.refit.weekly``) or
everything in a module call (``module.market``); the rest of each address is
kept (``module.a[se].alviss.upload.x`` → ``module.b[se].alviss.upload.x``).

Blocks stay in the spec after they were applied, as in Terraform.  Each
moved record keeps the addresses it was moved from (``moved_from``), so a
block whose ``from`` is gone is told apart: applied already (a record was
moved from there) and passed over, or wrong (nothing was ever recorded
there, nor moved there by an earlier block): an error at its place.
"""

from __future__ import annotations

from collections.abc import Mapping

from reconciler import errors
from reconciler.engine.plan import Move
from reconciler.spec.blocks import under
from reconciler.spec.document import Location, MovedBlock, Spec
from reconciler.state.document import ResourceState, StateDocument

__all__ = ["AlreadyThere", "Move", "NothingThere", "apply_moves", "move_records", "moved_address"]


class NothingThere(ValueError):
    """No record is at (or inside) the address to move from."""


class AlreadyThere(ValueError):
    """A record is already at an address a move would take another one to."""

    def __init__(self, address: str) -> None:
        super().__init__(f"{address} is already in the state")
        self.address = address


def moved_address(address: str, source: str, to: str) -> str | None:
    """Where moving ``source`` to ``to`` takes the record at ``address``; None when it does not concern it.

    ``alviss.refit.a`` → ``alviss.refit.a[se]`` (a resource given ``for_each``) moves the record
    at ``alviss.refit.a`` only; ``module.m`` → ``module.m[se]`` everything in the module.
    """
    if address == source:
        return to
    if not under(address, source) or under(address, to):  # not concerned, or there already
        return None
    rest = address[len(source) :]
    if rest.startswith("[") and to.endswith("]"):  # an instance of another key: not this move's
        return None
    return to + rest


def move_records(
    records: Mapping[str, ResourceState], source: str, to: str, *, remember: bool = False
) -> tuple[dict[str, ResourceState], dict[str, str]]:
    """The records with those at or inside ``source`` moved to ``to`` (order kept), and each old → new.

    ``remember`` adds the old address to each moved record's ``moved_from``
    (``moved`` blocks; ``state mv`` is not written in the spec, so it has
    nothing to remember).  Raises :class:`NothingThere` or :class:`AlreadyThere`.
    """
    taken = {address: new for address in records if (new := moved_address(address, source, to)) is not None}
    if not taken:
        raise NothingThere(f"{source} is not in the state")
    clashes = sorted(new for new in taken.values() if new in records and new not in taken)
    if clashes:
        raise AlreadyThere(clashes[0])
    moved: dict[str, ResourceState] = {}
    for address, record in records.items():
        new = taken.get(address)
        if new is None:
            moved[address] = record
        elif remember:
            history = [old for old in record.moved_from if old != new]
            moved[new] = record.model_copy(update={"moved_from": [*history, address]})
        else:
            moved[new] = record
    return moved, taken


def _error(message: str, where: Location, hint: str | None = None) -> errors.SpecError:
    return errors.SpecError(message, file=where.file, line=where.line, column=where.column, hint=hint)


def _applied_before(block: MovedBlock, records: Mapping[str, ResourceState]) -> bool:
    """Whether a record was moved from ``block``'s ``from`` by an earlier apply."""
    return any(under(old, block.source) for record in records.values() for old in record.moved_from)


def apply_moves(spec: Spec, state: StateDocument) -> tuple[StateDocument, tuple[Move, ...]]:
    """The state with every ``moved`` block of ``spec`` applied, and the records each moved.

    Raises :class:`errors.SpecErrors` (every problem, each at its block) when a
    block's ``from`` was never recorded, or its ``to`` is recorded already.
    """
    if not spec.moved:
        return state, ()
    records: dict[str, ResourceState] = dict(state.resources)
    moves: dict[str, Move] = {}  # by the record's current address: a chain a → b → c is one move a → c
    problems: list[errors.SpecError] = []
    for block in spec.moved:
        try:
            records, taken = move_records(records, block.source, block.to, remember=True)
        except NothingThere:
            if not _applied_before(block, records):
                problems.append(
                    _error(
                        f"moved from {block.source!r}: nothing is recorded there, and no earlier moved block "
                        "takes a record there",
                        block.source_location,
                        hint="see `reconciler state list SPEC`; remove the block if that resource was "
                        "never applied",
                    )
                )
            continue
        except AlreadyThere as clash:
            problems.append(
                _error(
                    f"moved to {block.to!r}: {clash.address} is already in the state",
                    block.to_location,
                    hint=f"`reconciler state rm SPEC {clash.address}` first if that record is stale",
                )
            )
            continue
        for address, new in taken.items():
            first = moves.pop(address, None)
            moves[new] = Move(source=first.source if first is not None else address, to=new)
    if problems:
        raise errors.SpecErrors(problems)
    # A record moved back where it was is no move at all.
    kept = tuple(move for move in moves.values() if move.source != move.to)
    return state.model_copy(update={"resources": records}), kept
