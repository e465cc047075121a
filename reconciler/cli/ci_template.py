"""The CI workflow ``reconciler init`` writes: the recipe of docs/ci.md, for the new repo's spec.

Pull requests get the markdown plan as a comment, a merge applies the plan
made on the merged commit, and a schedule runs the read-only drift check,
then keeps the status page (``report --html``) as the run's ``status-page``
artifact.

Every CI run starts from a fresh checkout, so the state must live outside it:
with ``init --state postgres`` the spec keeps it in PostgreSQL, reached through
the ``RECONCILER_PG_DSN`` secret.  With a local state (``state/``, which the
scaffolded ``.gitignore`` keeps out of git) every runner starts without one,
and the workflow says at its top what that costs.
"""

from __future__ import annotations

WORKFLOW_PATH = ".github/workflows/reconciler.yml"

_TEMPLATE = """# .github/workflows/reconciler.yml
{note}name: reconciler
on:
  pull_request:
    paths: ["{spec}", "data/**"]
  push:
    branches: [main]
    paths: ["{spec}", "data/**"]
  schedule:
    - cron: "17 6 * * *"          # drift check every morning
  workflow_dispatch: {{}}

concurrency:                      # never two applies at once (the state lock is the second guard)
  group: reconciler-${{{{ github.ref }}}}
  cancel-in-progress: false

env:
  ALVISS_TOKEN: ${{{{ secrets.ALVISS_TOKEN }}}}
{state_env}
jobs:
  plan:
    if: github.event_name == 'pull_request'
    runs-on: ubuntu-latest
    permissions: {{contents: read, pull-requests: write}}
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with: {{python-version: "3.11"}}
      - run: pip install reconciler
      - name: plan
        id: plan
        run: |
          set +e
          reconciler plan {spec} -out plan.json --detailed-exitcode > /dev/null
          code=$?
          set -e
          [ "$code" = 0 ] || [ "$code" = 2 ] || exit "$code"   # 2: changes present; else an error
          reconciler plan {spec} --format markdown > plan.md
      - uses: actions/upload-artifact@v4
        with:
          name: plan-${{{{ github.event.pull_request.head.sha }}}}
          path: plan.json
      - name: comment the plan
        uses: marocchino/sticky-pull-request-comment@v2
        with: {{path: plan.md}}

  apply:
    if: github.event_name == 'push'
    runs-on: ubuntu-latest
    environment: production          # optional manual approval gate
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with: {{python-version: "3.11"}}
      - run: pip install reconciler
      # Plan on the merged commit and apply exactly that plan; events as JSON lines for the log.
      - run: reconciler plan {spec} -out plan.json
      - run: reconciler apply plan.json --format json --lock-timeout 10m
      - uses: actions/upload-artifact@v4
        if: always()
        with:
          name: applied-plan-${{{{ github.sha }}}}
          path: plan.json

  drift:
    if: github.event_name == 'schedule' || github.event_name == 'workflow_dispatch'
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with: {{python-version: "3.11"}}
      - run: pip install reconciler
      - name: drift check (read-only; needs only read access)
        run: |
          set +e
          reconciler drift {spec} | tee drift.txt
          code=${{PIPESTATUS[0]}}
          case "$code" in
            0) echo "in sync" ;;
            2) echo "::warning::spec changes not yet applied" ;;
            3) echo "::error::live state changed outside reconciler"; exit 3 ;;
            4) echo "::notice::jobs still running" ;;
            *) exit "$code" ;;
          esac
      - name: status page (docs/report.md; read-only too)
        if: always()
        run: reconciler report --html status/index.html {spec}
      - uses: actions/upload-artifact@v4
        if: always()
        with: {{name: status-page, path: status/index.html}}
"""


_POSTGRES_NOTE = """\
# State: PostgreSQL ({spec}'s state block), DSN from the RECONCILER_PG_DSN secret,
# so every runner reads and writes the same state and its lock spans runners.
"""

_POSTGRES_ENV = """\
  RECONCILER_PG_DSN: ${{ secrets.RECONCILER_PG_DSN }}   # state: shared by every runner
"""

_LOCAL_NOTE = """\
# State: a LOCAL file ({spec}'s state block), which .gitignore keeps out of git,
# so every runner starts WITHOUT state. What that costs (docs/ci.md):
#  - each plan looks every resource up on the platform again: Alviss objects and
#    Akkio datasets that match are adopted (no new job), Akkio trainings are
#    deduplicated by Akkio; Sony EPA retrains and Datrics predictions run AGAIN;
#  - a job still running when an apply ends is found again only by that lookup;
#  - the state lock does not span runners: `concurrency` below is the only guard;
#  - the drift job always reports 2 (the adoptions a state would have recorded).
# For CI use a PostgreSQL state: `state: {{backend: postgres, dsn: ${{env:RECONCILER_PG_DSN}}}}`
# in {spec}, and the RECONCILER_PG_DSN repository secret.
"""


def workflow(spec: str, *, state: str = "postgres") -> str:
    """The workflow for a repo whose spec is ``spec`` (a path relative to the repo root).

    ``state`` is the spec's state backend (``postgres`` or ``local``); a local
    one gets the note on what every fresh runner loses.
    """
    if state == "postgres":
        note, state_env = _POSTGRES_NOTE.format(spec=spec), _POSTGRES_ENV
    else:
        note, state_env = _LOCAL_NOTE.format(spec=spec), ""
    return _TEMPLATE.format(spec=spec, note=note, state_env=state_env)
