"""``reconciler emulator …``: the platforms' emulators, served over HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from reconciler import errors
from reconciler.cli.group import main, run
from reconciler.cli.shell import complete_emulators, examples
from reconciler.emulators import DEFAULT_VARIANT, VARIANTS, plugin


def serving(name: str, base: str, *, variant: str, token: bool) -> str:
    """What ``emulator serve`` prints once it listens: where, and a provider block to paste into a spec."""
    from reconciler.providers.registry import PLATFORMS

    platform = PLATFORMS[name]
    endpoint = base + platform.api_path
    secret, variable = platform.auth.field, platform.auth.env
    fields = plugin(name).seeded
    accepts = "the value given to --token" if token else "any non-empty value"
    block = [
        "providers:",
        f"  {name}:",
        f"    endpoint: {endpoint}",
        f"    {secret}: ${{env:{variable}}}".ljust(40) + f"# {accepts}",
        *(f"    {field}: {value}" for field, value in fields.items()),
    ]
    return "\n".join(
        [
            f"Serving the {name} emulator ({variant}) at {base}; Ctrl-C stops it.",
            f"A spec reaches it with this provider block (set {variable} to {accepts}):",
            "",
            *block,
            "",
            f"Objects, requests and injected faults: {base}/_emulator/stats",
        ]
    )


@main.group(
    epilog=examples(
        "reconciler emulator serve alviss --port 8000",
    )
)
def emulator() -> None:
    """Run the platforms' emulators."""


@emulator.command(
    epilog=examples(
        "reconciler emulator serve alviss                    # prints a provider block to paste",
        "reconciler emulator serve akkio --port 0 --variant strict",
        "reconciler emulator serve alviss --durations refit=30 --fault-rate 0.1 --fault-seed 7",
    )
)
@click.argument("name", shell_complete=complete_emulators)
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--data", "data_dir", type=click.Path(path_type=Path), default=Path(".reconciler/emulators"))
@click.option("--durations", default="", help="Job durations in seconds, e.g. upload=1,dataset=1,refit=3.")
@click.option("--token", default=None, help="Accept only this token (default: any non-empty token).")
@click.option("--fault-rate", type=float, default=0.0, help="Share of requests answered with a fault.")
@click.option("--fault-seed", type=int, default=0, help="Seed that fixes the sequence of faults.")
@click.option(
    "--fault-kinds",
    default="",
    help="Faults to mix: 500,502,503,429,drop,lost (the default), truncated,empty,noid,wrongtype.",
)
@click.option("--fault-only", default="", help="Fault only requests whose 'METHOD /route' contains this.")
@click.option("--outage", type=float, default=0.0, help="Answer every GET with 503 for this many seconds…")
@click.option("--outage-after", default="", help="…from the first request whose METHOD /route contains this.")
@click.option("--outage-on", default="GET ", help="Requests the outage hits: METHOD /route contains this.")
@click.option("--latency-ms", type=float, default=0.0, help="Delay added to every response.")
@click.option("--job-failure-rate", type=float, default=0.0, help="Share of jobs that end failed.")
@click.option(
    "--variant",
    type=click.Choice(VARIANTS),
    default=DEFAULT_VARIANT,
    show_default=True,
    help="full: everything the platform does; documented: only what the vendor's pages show; "
    "strict: documented, and what the pages require is enforced.",
)
def serve(
    name: str,
    port: int,
    host: str,
    data_dir: Path,
    durations: str,
    token: str | None,
    fault_rate: float,
    fault_seed: int,
    fault_kinds: str,
    fault_only: str,
    outage: float,
    outage_after: str,
    outage_on: str,
    latency_ms: float,
    job_failure_rate: float,
    variant: str,
) -> None:
    """Serve an emulator over HTTP, optionally with faults injected deterministically."""
    from reconciler import emulators
    from reconciler.emulators import faults

    def start() -> None:
        parsed: dict[str, Any] | None = emulators.parse_durations(durations, name=name) if durations else None
        kinds = faults.parse_kinds(fault_kinds)  # checked even when no fault is injected
        injected = None
        if fault_rate or latency_ms or job_failure_rate or outage:
            injected = faults.Faults(
                rate=fault_rate,
                seed=fault_seed,
                latency_ms=latency_ms,
                job_failure_rate=job_failure_rate,
                kinds=kinds,
                only=fault_only,
                outage=outage,
                outage_after=outage_after,
                outage_on=outage_on,
            )
        try:
            emulators.serve(
                name,
                host=host,
                port=port,
                data_dir=data_dir,
                durations=parsed,
                token=token,
                faults=injected,
                variant=variant,
                on_ready=lambda base: click.echo(
                    serving(name, base, variant=variant, token=token is not None)
                ),
            )
        except SystemExit as stopped:  # uvicorn logs why it stopped, then exits 3 (outside our table)
            if not stopped.code:
                raise
            raise errors.ReconcilerError(
                f"could not serve the {name} emulator on {host}:{port} (uvicorn's ERROR line above says why)",
                hint="a port in use: choose another --port (0 picks a free one) or stop what listens there; "
                "--host must be an address of this machine",
            ) from None

    run(start)
