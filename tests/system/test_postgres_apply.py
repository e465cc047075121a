"""Two applies on one PostgreSQL workspace, in two real processes: one proceeds, the other names the holder.

The holder is a separate process holding the workspace's advisory lock (as
a running apply does); the apply under test fails fast naming it, waits with
``--lock-timeout`` until it lets go, and proceeds at once once it is killed.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.state.conftest import holders, pg_cluster  # noqa: F401  (fixtures)
from tests.state.pg_cluster import PgCluster
from tests.state.support import Holder, fresh_workspace, postgres_setup

from .support import run


@pytest.fixture
def pg_project(project: Path, pg_cluster: PgCluster, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:  # noqa: F811
    workspace = fresh_workspace()
    monkeypatch.setenv("RECONCILER_PG_DSN", pg_cluster.dsn)
    spec = project / "specs" / "demo.yaml"
    block = f"state:\n  backend: postgres\n  dsn: ${{env:RECONCILER_PG_DSN}}\n  workspace: {workspace}\n"
    spec.write_text(spec.read_text().replace("state:\n  backend: local\n  path: ../state/demo.json", block))
    return project, postgres_setup(pg_cluster.dsn, workspace)


def test_concurrent_applies_one_proceeds_the_other_names_the_holder(
    pg_project: tuple[Path, str],
    holders: Callable[[str, str], Holder],  # noqa: F811
) -> None:
    _, setup = pg_project
    holder = holders(setup, "apply")
    code, output = run("apply", "specs/demo.yaml", "--auto-approve")
    assert code == 1
    assert holder.info["id"] in output
    assert "Resources:" not in output

    releaser = threading.Timer(0.5, holder.release)
    releaser.start()
    try:
        code, output = run("apply", "specs/demo.yaml", "--auto-approve", "--lock-timeout", "20")
    finally:
        releaser.join()
    assert code == 0, output
    assert "Apply complete! Resources: 2 added, 1 changed, 0 replaced, 0 adopted." in output


def test_killing_the_holder_frees_the_lock(
    pg_project: tuple[Path, str],
    holders: Callable[[str, str], Holder],  # noqa: F811
) -> None:
    _, setup = pg_project
    holder = holders(setup, "apply")
    assert run("state", "list", "specs/demo.yaml")[0] == 0  # reading needs no lock
    holder.kill()
    code, output = run("apply", "specs/demo.yaml", "--auto-approve")
    assert code == 0, output
    code, output = run("state", "show", "specs/demo.yaml", "alviss.upload.sales_w47")
    assert json.loads(output)["alviss.upload.sales_w47"]["status"] == "ready"
