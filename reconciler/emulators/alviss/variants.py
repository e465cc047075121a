"""What each variant of the Alviss emulator serves: full, documented-only, or documented and strict.

``full`` (the default) serves everything the emulator knows, including what
the vendor's pages never show (INFERRED in docs/providers/alviss.md): list
endpoints, ``DataUploads``/``ExtendedFrom``/``CreatedAt``/… on objects, and the
words ``pending``, ``running`` and ``failed``.

``documented`` serves only what the vendor's pages (the API page and the
upload-refit-attribute tutorial) show.  Per kind of object, the fields the
pages read from any of its answers:

================  =====================================================================
kind              fields served
================  =====================================================================
upload            ``Status``
dataset           ``IId`` (read from ``datasets/active``), ``Status``
model             ``Status``, ``GraphInstance {Id, Graph {Id}}``, ``DataSet {IId}``,
                  ``Country``, ``Region``, ``Grouping``
attribution       ``Status``
attribution set   ``Status``, ``Attributions [{IId}]`` (read from ``attributionset/active``)
================  =====================================================================

``Status`` appears only once a job has ended well, with the documented word
(``complete`` or ``completed``): the pages document no word for a job still
running or failed, so such a job has no ``Status`` at all.  The list
endpoints are not served (404).  Creating calls answer as documented
(``{"upload_id"}``, ``{"IId"}``; ``build/model``'s answer is not documented and
stays ``{"IId"}``); error statuses and ``{"detail"}`` bodies stay as in full,
since a client needs some answer to a bad request and the pages show none.

``strict`` is ``documented`` and also refuses (422) what the pages require
but ``full`` lets pass: a dataset without Sales data ("Sales, the only
required one"), a ``dataset_name`` not spelt exactly as documented, and a
request body missing a field the pages always send (``eval_dates`` of a
refit or build, ``grouping`` of a combination, ``active`` of
``attributionset_align_dates``).
"""

from __future__ import annotations

from typing import Any

from reconciler.emulators.alviss.jobs import DONE_WORD

FULL, DOCUMENTED, STRICT = "full", "documented", "strict"

#: The fields the vendor's pages show, per kind of object.
DOCUMENTED_FIELDS: dict[str, frozenset[str]] = {
    "upload": frozenset({"Status"}),
    "dataset": frozenset({"IId", "Status"}),
    "model": frozenset({"Status", "GraphInstance", "DataSet", "Country", "Region", "Grouping"}),
    "attribution": frozenset({"Status"}),
    "attribution_set": frozenset({"Status", "Attributions"}),
}


def documented_only(variant: str) -> bool:
    return variant != FULL


def view(kind: str, shown: dict[str, Any], variant: str) -> dict[str, Any]:
    """``shown`` (the full view of an object of ``kind``) as ``variant`` serves it."""
    if variant == FULL:
        return shown
    kept = {key: value for key, value in shown.items() if key in DOCUMENTED_FIELDS[kind]}
    if kept.get("Status") != DONE_WORD[kind]:
        kept.pop("Status", None)  # no word is documented for a running or failed job
    if kind == "model" and isinstance(kept.get("GraphInstance"), dict):
        instance = kept["GraphInstance"]
        graph = instance.get("Graph")
        kept["GraphInstance"] = {
            "Id": instance.get("Id"),
            "Graph": {"Id": graph.get("Id")} if isinstance(graph, dict) else graph,
        }
    if kind == "attribution_set" and isinstance(kept.get("Attributions"), list):
        kept["Attributions"] = [
            {"IId": item.get("IId")} if isinstance(item, dict) else item for item in kept["Attributions"]
        ]
    return kept
