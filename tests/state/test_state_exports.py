"""The public surface of ``reconciler.state`` is what ``__all__`` says, no more, no less."""

from __future__ import annotations

import inspect

import reconciler.state as state


def test_all_names_exist_and_every_public_name_is_listed() -> None:
    public = {
        name
        for name, value in vars(state).items()
        if not name.startswith("_") and not inspect.ismodule(value)
    }

    assert set(state.__all__) == public
    assert sorted(state.__all__) == state.__all__
