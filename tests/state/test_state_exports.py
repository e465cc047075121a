"""The public surface of ``reconciler.state`` is what ``__all__`` says, no more, no less."""

from __future__ import annotations

import reconciler.state as state


def test_all_names_exist_and_every_public_name_is_listed() -> None:
    public = {name for name in vars(state) if not name.startswith("_")}
    modules = {"backend", "local", "lock", "model"}

    assert set(state.__all__) == public - modules
    assert sorted(state.__all__) == state.__all__
