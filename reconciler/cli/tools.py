"""Commands that help people write and read specs: ``schema``, ``init``, ``graph`` and ``fmt``.

None of them reads a live platform.  ``schema`` prints the JSON Schema that
editors validate specs with; ``init`` scaffolds a new infrastructure repo
whose spec validates and plans against the embedded emulator at once, so a
newcomer starts from something that works; ``graph`` draws the dependency
graph the executor follows (Graphviz dot or Mermaid, which GitHub renders);
``fmt`` writes specs in the one canonical layout, comments kept.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from pathlib import Path

import click

from reconciler import errors
from reconciler.cli.ci_template import WORKFLOW_PATH, workflow
from reconciler.cli.group import main, run, var_options, workspace
from reconciler.cli.shell import SPEC, examples
from reconciler.platforms import NAMES, find

SCHEMA_LINE = "# yaml-language-server: $schema=reconciler.schema.json"

GITIGNORE = """\
# reconciler: state may name remote ids; keep it in a backend, not in git
state/
*.json.backup
*.json.lock
*.json.checkpoints
# crash reports (emulator worlds are kept beside the state, in state/.reconciler/)
.reconciler/
"""


@main.command(
    epilog=examples(
        "reconciler schema -o reconciler.schema.json   # then name it in a spec's first line",
        "reconciler schema",
    )
)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file.")
def schema(output: Path | None) -> None:
    """Print the JSON Schema of the spec format (for editors and CI)."""
    from reconciler.providers.registry import spec_registry
    from reconciler.spec.schema import spec_schema

    text = json.dumps(spec_schema(spec_registry()), indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as error:
            raise click.ClickException(cannot_write(output, error)) from None
        click.echo(f"Wrote {output}. Put this line at the top of a spec:\n  {SCHEMA_LINE}")


def cannot_write(path: Path, error: OSError) -> str:
    """The message for a file a command was told to write and could not (an argument, not a bug)."""
    return f"cannot write {path}: {error.strerror or error}; choose a path you can write to"


_POSTGRES_STATE = """\
state:                                 # shared by every runner of the CI workflow
  backend: postgres
  dsn: ${{env:RECONCILER_PG_DSN}}       # a CI secret; never written anywhere
  workspace: {workspace}
"""


def _state_block(text: str, state: str, workspace: str) -> str:
    """The spec with its state block for ``state`` (the templates are written for a local one)."""
    if state == "local":
        return text
    block = re.search(r"^state:\n  path: [^\n]*\n", text, flags=re.M)
    assert block is not None, "every template has a local state block"
    return text[: block.start()] + _POSTGRES_STATE.format(workspace=workspace) + text[block.end() :]


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _workspace_name(directory: Path) -> str:
    name = re.sub(r"[^A-Za-z0-9_.-]", "-", directory.resolve().name).lstrip("_.-")[:128]
    return name or "spec"


@main.command(
    epilog=examples(
        "reconciler init infra                         # then: reconciler plan infra/spec.yaml",
        "reconciler init infra --platform akkio",
        "reconciler init infra --state postgres        # the state where every CI runner finds it",
    )
)
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--platform", type=click.Choice(sorted(NAMES)), default="alviss", show_default=True, help="Platform."
)
@click.option(
    "--state",
    type=click.Choice(["local", "postgres"]),
    default="local",
    show_default=True,
    help="Where the spec keeps its state: a local file (to try things out) or PostgreSQL (for CI).",
)
def init(directory: Path, platform: str, state: str) -> None:
    """Scaffold a new infrastructure repo: a commented spec, sample data, the schema, .gitignore, CI."""
    from reconciler.providers.registry import spec_registry
    from reconciler.spec.schema import spec_schema

    starter = find(platform).starter
    spec_file = directory / "spec.yaml"
    if spec_file.exists():
        raise click.ClickException(f"{spec_file} exists already; choose an empty directory")
    files = {
        "spec.yaml": _state_block(_read(starter / "spec.yaml"), state, _workspace_name(directory)),
        "reconciler.schema.json": json.dumps(spec_schema(spec_registry()), indent=2) + "\n",
        **{f"data/{path.name}": _read(path) for path in sorted((starter / "data").iterdir())},
    }
    if not (directory / ".gitignore").exists():
        files[".gitignore"] = GITIGNORE
    if not (directory / WORKFLOW_PATH).exists():
        files[WORKFLOW_PATH] = workflow("spec.yaml", state=state)
    for name, content in files.items():
        path = directory / name
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
        except OSError as error:
            raise click.ClickException(cannot_write(path, error)) from None
    click.echo(f"Created {', '.join(sorted(files))} in {directory}.")
    if state == "postgres":
        click.echo("The state lives in PostgreSQL: set RECONCILER_PG_DSN (in CI: a repository secret).")
    elif WORKFLOW_PATH in files:
        click.echo(
            f"Note: the state is a local file (state/, kept out of git), so each CI run of {WORKFLOW_PATH} "
            "starts without it; for CI use `init --state postgres` (see the workflow's first lines)."
        )
    click.echo(next_steps(spec_file))


def next_steps(spec_file: Path) -> str:
    """The commands to try the new spec, as they work from the directory ``init`` ran in."""
    spec = shlex.quote(str(spec_file))
    steps = [f"reconciler validate {spec}", f"reconciler plan {spec}", f"reconciler apply {spec}"]
    return "Next, from this directory:\n" + "".join(f"  {step}\n" for step in steps).rstrip("\n")


@main.command(
    epilog=examples(
        "reconciler graph specs/weekly-refresh.yaml --format mermaid   # GitHub renders it",
        "reconciler graph specs/weekly-refresh.yaml | dot -Tsvg > graph.svg",
    )
)
@click.argument("spec", type=SPEC)
@var_options
@click.option("--format", "fmt", type=click.Choice(["dot", "mermaid"]), default="dot", show_default=True)
def graph(spec: str, fmt: str) -> None:
    """Print the dependency graph of a spec's resources (Graphviz dot or Mermaid)."""
    from reconciler.engine.graph import Graph
    from reconciler.spec.refs import references

    loaded = run(lambda: workspace(spec).validate())
    # Data sources are nodes too: read first, what refers to them follows.
    dependencies: dict[str, tuple[str, ...]] = dict.fromkeys(loaded.data, ())
    for address, deps in Graph.from_spec(loaded).dependencies.items():
        config = loaded.resources[address].config
        read = tuple(ref.address for ref in references(config) if ref.address in loaded.data)
        dependencies[address] = tuple(dict.fromkeys((*read, *deps)))
    providers = {
        address: entry.provider for address, entry in (*loaded.data.items(), *loaded.resources.items())
    }
    click.echo(to_dot(dependencies, providers) if fmt == "dot" else to_mermaid(dependencies, providers))


def to_dot(dependencies: Mapping[str, tuple[str, ...]], providers: Mapping[str, str]) -> str:
    """Graphviz: one cluster per provider instance, edges from a resource to what depends on it."""
    lines = ["digraph reconciler {", "  rankdir=LR;", "  node [shape=box, fontname=monospace];"]
    for index, provider in enumerate(sorted(set(providers.values()))):
        lines.append(f'  subgraph cluster_{index} {{ label="{provider}";')
        lines.extend(f'    "{address}";' for address in dependencies if providers.get(address) == provider)
        lines.append("  }")
    for address, deps in dependencies.items():
        lines.extend(f'  "{dep}" -> "{address}";' for dep in deps)
    lines.append("}")
    return "\n".join(lines)


def to_mermaid(dependencies: Mapping[str, tuple[str, ...]], providers: Mapping[str, str]) -> str:
    """Mermaid flowchart (rendered by GitHub and GitLab): node ids are indices, labels the addresses."""
    ids = {address: f"r{index}" for index, address in enumerate(dependencies)}
    lines = ["flowchart LR"]
    for provider in sorted(set(providers.values())):
        lines.append(f'  subgraph {re.sub(r"[^A-Za-z0-9_]", "_", provider)}["{provider}"]')
        lines.extend(
            f'    {ids[address]}["{address}"]'
            for address in dependencies
            if providers.get(address) == provider
        )
        lines.append("  end")
    for address, deps in dependencies.items():
        lines.extend(f"  {ids[dep]} --> {ids[address]}" for dep in deps)
    return "\n".join(lines)


@main.command(
    "fmt",
    epilog=examples(
        "reconciler fmt specs/                    # rewrite every spec of the directory",
        "reconciler fmt --check --recursive specs/   # CI: exit 1 and list what is not laid out",
        "reconciler fmt --diff specs/demo.yaml",
    ),
)
@click.argument("sources", nargs=-1, required=True, metavar="SPEC...", type=SPEC)
@click.option("--check", is_flag=True, help="Write nothing; list the files that would change, exit 1 if any.")
@click.option("--diff", "show_diff", is_flag=True, help="Print what changes, as a unified diff.")
@click.option("--recursive", "-r", is_flag=True, help="Take the specs in subdirectories too (modules/).")
def fmt(sources: tuple[str, ...], check: bool, show_diff: bool, recursive: bool) -> None:
    """Write spec files in the canonical layout, keeping comments (docs/language.md, fmt)."""
    import difflib

    from reconciler.spec.fmt import Formatted, format_text, spec_files
    from reconciler.state.local import atomic_write

    def formatted() -> list[Formatted]:
        results = []
        problems: list[errors.SpecError] = []
        for path in spec_files([Path(source) for source in sources], recursive=recursive):
            try:
                before = path.read_bytes().decode("utf-8-sig")
            except (OSError, UnicodeDecodeError) as error:
                reason = error.strerror if isinstance(error, OSError) else "it is not UTF-8 text"
                problems.append(
                    errors.SpecError(f"cannot read it: {reason}", file=str(path), line=1, column=1)
                )
                continue
            try:
                results.append(Formatted(path, before, format_text(before, file=str(path))))
            except errors.SpecErrors as found:
                problems.extend(found.errors)
        if problems:
            raise errors.SpecErrors(problems)
        return results

    changed = [item for item in run(formatted) if item.changed]
    for item in changed:
        if show_diff:
            click.echo(
                "".join(
                    difflib.unified_diff(
                        item.before.splitlines(keepends=True),
                        item.after.splitlines(keepends=True),
                        fromfile=f"{item.path} (as written)",
                        tofile=f"{item.path} (formatted)",
                    )
                ),
                nl=False,
            )
        if check:
            click.echo(str(item.path))
            continue
        try:
            atomic_write(item.path, item.after.encode("utf-8"))
        except OSError as error:
            raise click.ClickException(cannot_write(item.path, error)) from None
        click.echo(str(item.path))
    if check and changed:
        click.echo(
            f"{len(changed)} file{'s' * (len(changed) != 1)} not in the canonical layout; "
            "run `reconciler fmt` on them",
            err=True,
        )
        raise SystemExit(1)
