"""The benchmark suite of docs/performance.md: workloads W1–W7 against emulators served on loopback.

Every figure is a ratio to a reference measured in the same run (the critical
path of the jobs, the seed scripts, ``sha256sum`` + ``curl``, Terraform's own
commands where ``terraform`` is installed), so a noisy machine changes the
times but hardly the figures.  ``python -m benchmarks run``
runs them all (or some, by id), prints a table and writes the figures, with a
description of the machine, as JSON.  They are not tests: nothing fails on them.
"""
