"""The Alviss AI emulator: uploads, datasets, models, attributions and attribution sets.

``app.py`` speaks HTTP, ``world.py`` holds the platform's rules, ``jobs.py``
computes job status from the clock, ``store.py`` keeps the world in SQLite,
``seed.py`` gives each new project its default world (from ``sample/``),
``datafiles.py`` checks uploaded files as streams and ``graphs.py`` makes the
model graphs.
"""

from reconciler.emulators.plugins import Plugin

PLUGIN = Plugin(
    "alviss",
    durations={
        "upload": 1.0,
        "dataset": 1.0,
        "refit": 3.0,
        "build": 3.0,
        "attribution": 2.0,
        "attribution_set": 1.0,
    },
    emulator="reconciler.emulators.alviss.app",
    seeded={"team": 1, "project": 1},
)
