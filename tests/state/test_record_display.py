"""A record's ``display`` (labels and status for people) is never compared, and old state files still load."""

from __future__ import annotations

from reconciler.state.document import StateDocument

ADDRESS = "alviss.upload.sales"


def test_a_record_written_with_essence_loads_as_display_and_is_written_as_display() -> None:
    older = {
        "resources": {
            ADDRESS: {"type": "alviss.upload", "provider": "alviss", "essence": {"Status": "complete"}}
        }
    }
    record = StateDocument.model_validate(older).resources[ADDRESS]
    assert record.display == {"Status": "complete"}
    written = record.model_dump(mode="json")
    assert "essence" not in written and written["display"] == {"Status": "complete"}
