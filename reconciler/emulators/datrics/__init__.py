"""The Datrics emulator: the AutoModel prediction API of deployed models.

``app.py`` speaks HTTP at the vendor's paths, ``auth.py`` checks the HS256
JWT every request carries, ``world.py`` holds the platform's rules,
``models.py`` the deployed models and their prediction functions, ``tasks.py``
computes a task's Celery state from the clock and ``store.py`` keeps the
tasks in SQLite.
"""

from reconciler.emulators.plugins import Plugin

PLUGIN = Plugin(
    "datrics",
    durations={"predict": 1.0},
    emulator="reconciler.emulators.datrics.app",
    seeded={"user_id": 42, "email": "analyst@example.com"},
)
