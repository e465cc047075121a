"""The Sony Easy Predictive Analytics (Prediction One) emulator: the retrain API.

``app.py`` speaks HTTP, ``world.py`` holds the platform's rules, ``problems.py``
the vendor's error table, ``files.py`` receives and checks uploaded training
data as streams, and ``store.py`` keeps the world in SQLite.
"""

from reconciler.emulators.plugins import Plugin

PLUGIN = Plugin(
    "sony_epa",
    durations={"retrain": 3.0},
    emulator="reconciler.emulators.sony_epa.app",
)
