"""Commands that help people write and read specs: ``schema``, ``init`` and ``graph``.

None of them reads a live platform.  ``schema`` prints the JSON Schema that
editors validate specs with; ``init`` scaffolds a new infrastructure repo
whose spec validates and plans against the embedded emulator at once, so a
newcomer starts from something that works; ``graph`` draws the dependency
graph the executor follows (Graphviz dot or Mermaid, which GitHub renders).
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from pathlib import Path

import click

from reconciler.cli.ci_template import WORKFLOW_PATH, workflow
from reconciler.cli.common import main, run, workspace
from reconciler.cli.shell import SPEC, examples

SCHEMA_LINE = "# yaml-language-server: $schema=reconciler.schema.json"

GITIGNORE = """\
# reconciler: state may name remote ids; keep it in a backend, not in git
state/
*.json.backup
*.json.lock
*.json.journal
# crash reports (emulator worlds are kept beside the state, in state/.reconciler/)
.reconciler/
"""

_ALVISS = """\
{schema}
# The active dataset of Alviss project 1/1 contains this week's Sales and Media
# uploads.  It runs against the embedded emulator; for the real platform set
# endpoint to https://app.alviss.io/api/v1/api and uncomment token.
#
#   reconciler plan spec.yaml          # from this directory
#   reconciler apply spec.yaml
version: 1
state:
  path: state/spec.json                # relative to this file; or backend: postgres

providers:
  alviss:
    endpoint: emulator://alviss
    # token: ${{env:ALVISS_TOKEN}}      # secrets only from the environment
    team: 1
    project: 1

resources:
  alviss.upload.sales:
    dataset_name: Sales                # one of the Alviss dataset types
    file: data/sales.csv
  alviss.upload.media:
    dataset_name: Media
    file: data/media.csv
  alviss.active_dataset.main:          # "the active dataset contains these uploads"
    contains: [alviss.upload.sales, alviss.upload.media]
  # alviss.refit.main:                 # refit model 3 on the latest data
  #   model: 3
  #   dataset: alviss.active_dataset.main
  #   params: {{epochs: 500, learning_rate: 0.001, samples: 3}}
"""

_AKKIO = """\
{schema}
# A dataset filled from a CSV file and a model trained on it, against the
# embedded Akkio emulator; for the real platform set endpoint to
# https://api.akkio.com/api/v1 and uncomment api_key.
version: 1
state:
  path: state/spec.json

providers:
  akkio:
    endpoint: emulator://akkio
    # api_key: ${{env:AKKIO_API_KEY}}

resources:
  akkio.dataset.leads:
    name: Leads
    file: data/leads.csv
  akkio.model.converted:
    dataset: akkio.dataset.leads
    predict_fields: [Converted]
    duration: 10                       # 10 (fastest), 60, 300 or 1800 (production)
"""

_SONY_EPA = """\
{schema}
# A prediction model retrained on a CSV file, against the embedded Sony EPA
# emulator; for the real platform set endpoint and uncomment api_key.
version: 1
state:
  path: state/spec.json

providers:
  sony_epa:
    endpoint: emulator://sony_epa
    # api_key: ${{env:SONY_EPA_API_KEY}}

resources:
  sony_epa.retrain.churn:
    train_file: data/churn.csv
"""

_DATRICS = """\
{schema}
# Predictions of a deployed Datrics model for a local file, against the
# embedded emulator; for the real platform set endpoint and uncomment secret.
version: 1
state:
  path: state/spec.json

providers:
  datrics:
    endpoint: emulator://datrics
    # secret: ${{env:DATRICS_SECRET}}
    user_id: 42
    email: analyst@example.com

resources:
  datrics.predictions.credit:
    model_path: 1/4/model-groups/1/1.json
    bucket: storage.datrics.ai
    input: data/credit.csv
    output: predictions/credit.json
"""


def _rows(header: str, make: str, count: int) -> str:
    return header + "\n" + "".join(make.format(i=i, j=i % 7, k=(i * 37) % 100) + "\n" for i in range(count))


TEMPLATES: dict[str, tuple[str, dict[str, str]]] = {
    "alviss": (
        _ALVISS,
        {
            "data/sales.csv": _rows(
                "Country,Region,Grouping,Date,Product,UnitsSold,Price",
                "SWE,all,all,2026-11-30,Product{j},{k}{i},12.9",
                3,
            ),
            "data/media.csv": _rows(
                "Country,Region,Grouping,Date,Product,Media,Campaign,Metric,Value",
                "SWE,all,all,2026-11-30,Product{j},TV,winter,Investment,{k}{i}",
                3,
            ),
        },
    ),
    "akkio": (
        _AKKIO,
        {
            "data/leads.csv": "Visits,Downloads,Converted\n"
            + "".join(f"{(i * 37) % 100},{i % 7},{'yes' if i % 3 == 0 else 'no'}\n" for i in range(30))
        },
    ),
    "sony_epa": (
        _SONY_EPA,
        {
            "data/churn.csv": _rows(
                "customer_id,tenure_months,support_calls,churned", "C{i:04d},{k},{j},no", 30
            )
        },
    ),
    "datrics": (
        _DATRICS,
        {
            "data/credit.csv": _rows(
                "application_id,order_amount,average_monthly_income,employment_status_Employed,"
                "employment_status_Self-Employed,employment_status_Contract",
                "A-{i:04d},{k}0,{j}100,1,0,0",
                5,
            )
        },
    ),
}


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
    "--platform", type=click.Choice(sorted(TEMPLATES)), default="alviss", show_default=True, help="Platform."
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

    template, data = TEMPLATES[platform]
    spec_file = directory / "spec.yaml"
    if spec_file.exists():
        raise click.ClickException(f"{spec_file} exists already; choose an empty directory")
    files = {
        "spec.yaml": _state_block(template.format(schema=SCHEMA_LINE), state, _workspace_name(directory)),
        "reconciler.schema.json": json.dumps(spec_schema(spec_registry()), indent=2) + "\n",
        **data,
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
@click.option("--format", "fmt", type=click.Choice(["dot", "mermaid"]), default="dot", show_default=True)
def graph(spec: str, fmt: str) -> None:
    """Print the dependency graph of a spec's resources (Graphviz dot or Mermaid)."""
    from reconciler.engine.graph import Graph

    loaded = run(lambda: workspace(spec).validate())
    dependencies = Graph.from_spec(loaded).dependencies
    providers = {address: resource.provider for address, resource in loaded.resources.items()}
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
        lines.append(f'  subgraph {provider.replace(".", "_")}["{provider}"]')
        lines.extend(
            f'    {ids[address]}["{address}"]'
            for address in dependencies
            if providers.get(address) == provider
        )
        lines.append("  end")
    for address, deps in dependencies.items():
        lines.extend(f"  {ids[dep]} --> {ids[address]}" for dep in deps)
    return "\n".join(lines)
