"""The Akkio emulator: the training API (``/api/v1``) and the legacy dataset and model API (``/v1``).

``app.py`` speaks HTTP (two kinds of authentication: the ``X-API-Key``
header under ``/api/v1``, an ``api_key`` field under ``/v1``), ``world.py``
holds the platform's rules, ``training.py`` makes a training's result (stats,
field importance, data story) from the dataset's rows, and ``store.py`` keeps
the world in SQLite.  Training status is computed from the clock when read.
"""

from reconciler.emulators.plugins import Plugin

PLUGIN = Plugin(
    "akkio",
    durations={"train": 3.0},
    emulator="reconciler.emulators.akkio.app",
)
