"""Local, faithful versions of the platforms' APIs (ASGI apps), in-process or served.

The platforms cannot be reached from where the project is built and tested,
so every provider is checked against an emulator that speaks the vendor's
own paths and bodies.  This module is the small, cheap-to-import front door
(the command line imports it for ``--help``): FastAPI and the emulators
themselves are imported only when an app is created.
"""

from __future__ import annotations

import math
import socket
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler import errors, platforms

if TYPE_CHECKING:
    from fastapi import FastAPI

    from reconciler.emulators.faults import Faults
    from reconciler.emulators.plugins import Plugin

__all__ = [
    "DEFAULT_VARIANT",
    "EMULATORS",
    "JOB_KINDS",
    "VARIANTS",
    "create_app",
    "parse_durations",
    "parse_variant",
    "plugin",
    "serve",
]

#: Every platform's emulator, by name (``reconciler.platforms``: one line each).
EMULATORS: tuple[str, ...] = platforms.NAMES

#: How much of a platform an emulator serves: ``full`` (everything, including what the vendor's
#: pages never show but the platform was seen to do: the INFERRED fields, words and endpoints),
#: ``documented`` (only what the vendor's pages show) and ``strict`` (documented, and also
#: refusing what the pages say is required but missing).
VARIANTS: tuple[str, ...] = ("full", "documented", "strict")
DEFAULT_VARIANT = "full"


def plugin(name: str) -> Plugin:
    """The emulator named ``name`` as its package declares it (job kinds, durations; no FastAPI)."""
    found: Plugin = platforms.find(name, what="emulator").load_emulator()
    return found


def __getattr__(name: str) -> Any:
    """``JOB_KINDS``: every emulator's job kinds by name, read from the plugins when first asked for."""
    if name == "JOB_KINDS":
        return {emulator: plugin(emulator).job_kinds for emulator in EMULATORS}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def parse_variant(text: str) -> str:
    """``text`` as one of :data:`VARIANTS` (surrounding blanks and case ignored), else a clean error."""
    word = text.strip().lower()
    if word not in VARIANTS:
        raise errors.ReconcilerError(
            f"unknown emulator variant {text.strip()!r}", hint=f"variants: {', '.join(VARIANTS)}"
        )
    return word


def parse_durations(text: str, *, name: str) -> dict[str, float]:
    """Parse ``"upload=1,dataset=0.5"`` into job durations (seconds) for emulator ``name``."""
    kinds = plugin(name).job_kinds
    durations: dict[str, float] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        kind, sep, value = (piece.strip() for piece in part.partition("="))
        if not sep:
            raise errors.ReconcilerError(f"bad duration '{part.strip()}': expected KIND=SECONDS")
        if kind not in kinds:
            raise errors.ReconcilerError(
                f"unknown job kind '{kind}' for the {name} emulator", hint=f"job kinds: {', '.join(kinds)}"
            )
        try:
            seconds = float(value)
        except ValueError:
            raise errors.ReconcilerError(
                f"bad duration for {kind}: '{value}' is not a number of seconds"
            ) from None
        if not math.isfinite(seconds) or seconds < 0:
            raise errors.ReconcilerError(f"bad duration for {kind}: {value} (must be a finite number >= 0)")
        durations[kind] = seconds
    return durations


def _durations(name: str, given: Mapping[str, float] | None) -> dict[str, float]:
    merged = dict(plugin(name).durations)
    for kind, seconds in (given or {}).items():
        if kind not in merged:
            raise errors.ReconcilerError(
                f"unknown job kind '{kind}' for the {name} emulator", hint=f"job kinds: {', '.join(merged)}"
            )
        merged[kind] = float(seconds)
    return merged


def create_app(
    name: str,
    *,
    data_dir: Path,
    durations: Mapping[str, float] | None = None,
    token: str | None = None,
    clock: Callable[[], float] = time.time,
    faults: Faults | None = None,
    variant: str = DEFAULT_VARIANT,
) -> FastAPI:
    """The ASGI app of emulator ``name``, its world kept under ``data_dir``, misbehaving as ``faults`` say.

    ``variant`` (one of :data:`VARIANTS`) says how much of the platform it serves.
    """
    from reconciler.emulators.base import build_app

    variant = parse_variant(variant)
    return build_app(
        plugin(name),
        data_dir=data_dir,
        durations=_durations(name, durations),
        token=token,
        clock=clock,
        faults=faults,
        variant=variant,
    )


def serve(
    name: str,
    *,
    host: str = "127.0.0.1",
    port: int,
    data_dir: Path,
    durations: Mapping[str, float] | None = None,
    token: str | None = None,
    faults: Faults | None = None,
    variant: str = DEFAULT_VARIANT,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve emulator ``name`` over HTTP until interrupted (uvicorn's access log shows no headers).

    ``port`` 0 takes a free port.  ``on_ready`` is given the base URL (``http://HOST:PORT``, a
    loopback address for a wildcard host) once the port listens, before the first request is served.
    """
    import uvicorn

    app = create_app(
        name, data_dir=data_dir, durations=durations, token=token, faults=faults, variant=variant
    )
    sock = listen(host, port, what=f"the {name} emulator")
    try:
        if on_ready is not None:
            on_ready(base_url(host, sock.getsockname()[1]))
        uvicorn.Server(uvicorn.Config(app, log_level="info")).run(sockets=[sock])
    finally:
        sock.close()
        app.state.store.close()


def listen(host: str, port: int, *, what: str = "") -> socket.socket:
    """A listening TCP socket on ``host``:``port`` (0: a free port), or an error saying what to change."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
    except (OSError, UnicodeError) as exc:
        raise errors.ReconcilerError(
            f"could not serve {what or 'HTTP'} on {host}:{port}: {getattr(exc, 'strerror', None) or exc}",
            hint="check --host (an address or a name of this machine, e.g. 127.0.0.1)",
        ) from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise errors.ReconcilerError(
            f"could not serve {what or 'HTTP'} on {host}:{port}: {exc.strerror or exc}",
            hint="a port in use: choose another --port (--port 0 takes a free one) or stop what holds it; "
            "--host must be an address of this machine",
        ) from None
    return sock


def base_url(host: str, port: int) -> str:
    """The URL a client on this machine reaches ``host``:``port`` at (a wildcard host: loopback)."""
    host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
