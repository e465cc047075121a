"""The Alviss AI emulator: uploads, datasets, models, attributions and attribution sets.

``app.py`` speaks HTTP, ``world.py`` holds the platform's rules, ``jobs.py``
computes job status from the clock, ``store.py`` keeps the world in SQLite,
``seed.py`` gives each new project its default world (from ``sample/``),
``datafiles.py`` checks uploaded files as streams and ``graphs.py`` makes the
model graphs.
"""
