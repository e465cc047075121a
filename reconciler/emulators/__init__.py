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
from typing import TYPE_CHECKING

from reconciler import errors

if TYPE_CHECKING:
    from fastapi import FastAPI

    from reconciler.emulators.faults import Faults

__all__ = [
    "DEFAULT_DURATIONS",
    "DEFAULT_VARIANT",
    "EMULATORS",
    "JOB_KINDS",
    "VARIANTS",
    "create_app",
    "parse_durations",
    "parse_variant",
    "serve",
]

#: Where each emulator's app factory lives, imported only when an app is created. A factory takes
#: ``(*, data_dir, durations, token, clock, faults=None, variant="full")`` and returns a FastAPI app whose
#: ``state.store`` has ``close()``.
FACTORIES: dict[str, str] = {
    "alviss": "reconciler.emulators.alviss.app:create_alviss_app",
    "sony_epa": "reconciler.emulators.sony_epa.app:create_sony_epa_app",
    "datrics": "reconciler.emulators.datrics.app:create_datrics_app",
    "akkio": "reconciler.emulators.akkio.app:create_akkio_app",
}
JOB_KINDS: dict[str, tuple[str, ...]] = {
    "alviss": ("upload", "dataset", "refit", "build", "attribution", "attribution_set"),
    "sony_epa": ("retrain",),
    "datrics": ("predict",),
    "akkio": ("train",),
}
# Seconds each kind of job takes; short enough for demos, long enough to see a job run.
DEFAULT_DURATIONS: dict[str, dict[str, float]] = {
    "alviss": {
        "upload": 1.0,
        "dataset": 1.0,
        "refit": 3.0,
        "build": 3.0,
        "attribution": 2.0,
        "attribution_set": 1.0,
    },
    "sony_epa": {"retrain": 3.0},
    "datrics": {"predict": 1.0},
    "akkio": {"train": 3.0},
}


EMULATORS: tuple[str, ...] = tuple(FACTORIES)

#: How much of a platform an emulator serves: ``full`` (everything, including what the vendor's
#: pages never show but the platform was seen to do: the INFERRED fields, words and endpoints),
#: ``documented`` (only what the vendor's pages show) and ``strict`` (documented, and also
#: refusing what the pages say is required but missing).
VARIANTS: tuple[str, ...] = ("full", "documented", "strict")
DEFAULT_VARIANT = "full"


def parse_variant(text: str) -> str:
    """``text`` as one of :data:`VARIANTS` (surrounding blanks and case ignored), else a clean error."""
    word = text.strip().lower()
    if word not in VARIANTS:
        raise errors.ReconcilerError(
            f"unknown emulator variant {text.strip()!r}", hint=f"variants: {', '.join(VARIANTS)}"
        )
    return word


def _known(name: str) -> str:
    if name not in EMULATORS:
        raise errors.ReconcilerError(
            f"unknown emulator '{name}'", hint=f"known emulators: {', '.join(EMULATORS)}"
        )
    return name


def parse_durations(text: str, *, name: str) -> dict[str, float]:
    """Parse ``"upload=1,dataset=0.5"`` into job durations (seconds) for emulator ``name``."""
    kinds = JOB_KINDS[_known(name)]
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
    merged = dict(DEFAULT_DURATIONS[name])
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
    import importlib

    variant = parse_variant(variant)
    module_name, _, attribute = FACTORIES[_known(name)].partition(":")
    factory = getattr(importlib.import_module(module_name), attribute)
    extra = {} if faults is None else {"faults": faults}  # only factories that know faults are given them
    app: FastAPI = factory(
        data_dir=data_dir,
        durations=_durations(name, durations),
        token=token,
        clock=clock,
        variant=variant,
        **extra,
    )
    return app


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
