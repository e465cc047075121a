"""W4: uploading a 1 GiB file, against ``sha256sum`` and ``curl`` doing the same work.

The file is real bytes (a random 1 MiB block repeated), not a sparse file, so
hashing costs what it costs.  The reconciler's apply hashes the file (plan),
streams it to the emulator and waits; the reference is the two standard tools
run one after the other on the same file against the same emulator: the hash,
then the multipart POST to the upload route (``curl -F``: the route takes
multipart, as the vendor's API does, so ``curl -T``'s PUT would be refused).
The emulator rejects the bytes as a data file, after receiving them all, for
both the reference and the reconciler; the apply then ends with the job
failed, which is expected here.
"""

from __future__ import annotations

import os
from pathlib import Path

from benchmarks.harness import TEAM, TOKEN, reconciler_command, run_timed, served
from benchmarks.results import Result

INSTANT = {"upload": 0, "dataset": 0, "refit": 0, "build": 0, "attribution": 0, "attribution_set": 0}
BLOCK = 1024 * 1024


def make_file(path: Path, *, size: int) -> None:
    block = os.urandom(BLOCK)
    with open(path, "wb") as fh:
        for _ in range(size // BLOCK):
            fh.write(block)
        fh.write(block[: size % BLOCK])


def run(work: Path, *, size: int, result: Result) -> None:
    work.mkdir(parents=True, exist_ok=True)
    big = work / "big.csv"
    make_file(big, size=size)
    env = {"ALVISS_TOKEN": TOKEN}
    with served(work / "emulator", durations=INSTANT, log=work / "emulator.log") as emulator:
        url = f"{emulator.api}/projects/{TEAM}/1/datauploads?dataset_name=Sales"
        # Warm the project (created on first use) so neither side pays for it.
        run_timed(["curl", "-sS", "-o", os.devnull, "-H", f"Authorization: Bearer {TOKEN}",
                   f"{emulator.api}/projects/{TEAM}/1/datasets/active"])  # fmt: skip
        hashed = run_timed(["sha256sum", str(big)])
        sent = run_timed(
            [
                "curl",
                "-sS",
                "-f",
                "-o",
                os.devnull,
                "-H",
                f"Authorization: Bearer {TOKEN}",
                "-F",
                f"file=@{big}",
                url,
            ]
        )
        spec = work / "big.yaml"
        spec.write_text(
            "version: 1\nstate: {backend: local, path: state/big.json}\nproviders:\n"
            f"  alviss: {{endpoint: '{emulator.api}', token: '${{env:ALVISS_TOKEN}}', "
            f"team: {TEAM}, project: 1}}\n"
            "resources:\n  alviss.upload.big: {dataset_name: Sales, file: big.csv}\n"
        )
        applied = run_timed(
            [*reconciler_command(), "apply", "--auto-approve", str(spec)], env=env, check=False
        )
        uploads = (
            emulator.stats()
            .get("requests", {})
            .get("POST /api/v1/api/projects/{team_id}/{project_id}/datauploads", 0)
        )
    big.unlink()
    if uploads != 2:
        raise RuntimeError(
            f"expected the file to be sent twice (curl, reconciler), the emulator saw {uploads}"
        )
    reference = hashed.wall + sent.wall
    result.add("peak RSS of the reconciler", applied.max_rss_kib / 1024, unit="MiB", target=120)
    result.add("apply wall ÷ (sha256sum + curl)", applied.wall / reference, target=1.5)
    result.details.update(
        size=size, apply_wall=applied.wall, apply_cpu=applied.cpu, sha256sum_wall=hashed.wall,
        curl_wall=sent.wall, apply_exit=applied.returncode,
    )  # fmt: skip
