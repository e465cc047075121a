"""A throwaway PostgreSQL cluster for the tests: started from the installed binaries, gone afterwards.

The PostgreSQL backend is tested against a real server, not a mock: advisory
locks, session ends and compare-and-swap are exactly what a mock would get
wrong.  The cluster listens only on a Unix socket in its own temporary
directory (no port to collide with), runs with fsync off (its data is thrown
away) and starts in about a second.

``initdb`` refuses to run as root, so as root the cluster belongs to the
``postgres`` user and its commands run through ``runuser``.  Binaries that
are missing skip the PostgreSQL tests on a workstation and fail them in CI
(``CI`` set), where skipping would hide the backend from the suite.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import psycopg
from psycopg import sql

INSTALL_HINT = (
    "install the PostgreSQL server binaries (Debian/Ubuntu: `apt-get install postgresql-15`), "
    "or point RECONCILER_PG_BINDIR at the directory holding initdb and pg_ctl"
)
PORT = 5432  # only names the socket file, which lives in the cluster's own directory
START_TIMEOUT = 30


class ClusterUnavailable(Exception):
    """No PostgreSQL binaries (or no user to run them as) on this machine."""


def find_bindir() -> Path:
    """The directory holding ``initdb`` and ``pg_ctl``."""
    candidates: list[Path] = []
    if configured := os.environ.get("RECONCILER_PG_BINDIR"):
        candidates.append(Path(configured))
    if pg_config := shutil.which("pg_config"):
        result = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if result.returncode == 0 and result.stdout.strip():
            candidates.append(Path(result.stdout.strip()))
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version, reverse=True)
    candidates.extend(versions)
    if initdb := shutil.which("initdb"):
        candidates.append(Path(initdb).resolve().parent)
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    raise ClusterUnavailable(f"no PostgreSQL server binaries (initdb, pg_ctl) found; {INSTALL_HINT}")


def _version(bindir: Path) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in bindir.parent.name.split("."))
    except ValueError:
        return (0,)


class PgCluster:
    """One running PostgreSQL cluster; :meth:`new_database` hands out fresh databases on it."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self._as_user: list[str] = []
        self._owner: pwd.struct_passwd | None = None
        if os.geteuid() == 0:
            try:
                self._owner = pwd.getpwnam("postgres")
            except KeyError:
                raise ClusterUnavailable(
                    "running as root and there is no 'postgres' user to run initdb as"
                ) from None
            runuser = shutil.which("runuser")
            if runuser is None:
                raise ClusterUnavailable("running as root and runuser is missing")
            self._as_user = [runuser, "-u", "postgres", "--"]
        # Short path: a Unix socket path must stay under ~100 characters.
        self.root = Path(tempfile.mkdtemp(prefix="reconciler-pg-", dir="/tmp"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.dsn = ""

    def start(self) -> None:
        if self._owner is not None:
            os.chown(self.root, self._owner.pw_uid, self._owner.pw_gid)
        self._run("initdb", "-A", "trust", "-U", "postgres", "-D", str(self.data), "--no-sync", "-E", "UTF8")
        options = (
            f"-p {PORT} -k {self.root} -c listen_addresses='' -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-w",
            "-t",
            str(START_TIMEOUT),
            "-o",
            options,
            "start",
        )
        self.dsn = self.new_database("reconciler_test")

    def new_database(self, name: str | None = None) -> str:
        """Create a database and return its DSN."""
        name = name or f"db_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.dsn_for("postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.dsn_for(name)

    def dsn_for(self, database: str) -> str:
        return f"host={self.root} port={PORT} user=postgres dbname={database}"

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def _run(self, program: str, *args: str) -> None:
        command = [*self._as_user, str(self.bindir / program), *args]
        result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=self.root)
        if result.returncode != 0:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise RuntimeError(
                f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}{result.stderr}{log}"
            )


def start_cluster() -> PgCluster:
    """A started cluster; :class:`ClusterUnavailable` when this machine cannot run one."""
    cluster = PgCluster(find_bindir())
    try:
        cluster.start()
    except BaseException:
        cluster.stop()
        raise
    return cluster
