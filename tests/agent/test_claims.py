"""Claims: one holder per workspace, taken without waiting; a dead holder's claims are free at once."""

from __future__ import annotations

from pathlib import Path

import psycopg

from reconciler.agent.claims import LocalClaims, PostgresClaims
from tests.state.conftest import pg_cluster  # noqa: F401  (fixture)
from tests.state.pg_cluster import PgCluster


def test_postgres_claims_are_exclusive_and_die_with_their_session(pg_cluster: PgCluster) -> None:  # noqa: F811
    one, two = PostgresClaims(pg_cluster.dsn), PostgresClaims(pg_cluster.dsn)
    try:
        assert one.try_claim("ws-a") and one.try_claim("ws-b")
        assert not two.try_claim("ws-a")
        one.release("ws-a")
        assert two.try_claim("ws-a")
        assert not one.try_claim("ws-a")
        # The holder's session ends (a killed agent): its claims are free for the others.
        with psycopg.connect(pg_cluster.dsn, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s, 5000)", (one._conn.info.backend_pid,))
        assert two.try_claim("ws-b")
        assert not one.try_claim("ws-b")  # reconnected, and refused like anyone else
        assert one.check()
    finally:
        one.close()
        two.close()
    again = PostgresClaims(pg_cluster.dsn)
    try:
        assert again.try_claim("ws-a") and again.try_claim("ws-b")  # close gave everything back
    finally:
        again.close()


def test_local_claims_keep_a_second_agent_off_a_state_file(tmp_path: Path) -> None:
    state = tmp_path / "state" / "demo.json"
    one, two = LocalClaims(), LocalClaims()
    assert one.try_claim(str(state))
    assert not two.try_claim(str(state))
    one.release(str(state))
    assert two.try_claim(str(state))
    two.close()
    assert one.try_claim(str(state)) and one.check()
    one.close()


def test_a_database_that_does_not_answer_is_an_error_without_the_password(tmp_path: Path) -> None:
    import pytest

    from reconciler import errors
    from reconciler.redact import forget_all

    dsn = f"host={tmp_path} port=1 user=agent password=s3cret-pw dbname=none"
    claims = PostgresClaims(dsn)
    try:
        assert claims.check() is False
        with pytest.raises(errors.StateError) as caught:
            claims.try_claim("ws")
        assert "s3cret-pw" not in str(caught.value)
        assert "cannot connect to the state database" in str(caught.value)
    finally:
        claims.close()
        forget_all()
