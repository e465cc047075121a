"""Reading in bulk: during a refresh, recorded objects come from one list per client and kind.

The list is a shortcut and never a verdict: an object missing from it, an item without its
status, or a list the platform does not serve each fall back to the object's own read, so "gone"
is still decided only by two 404s of that read.
"""

from __future__ import annotations

import asyncio
from typing import Any

from reconciler import errors
from reconciler.providers import bulk
from reconciler.providers.alviss import lookup, shapes
from reconciler.providers.alviss.client import ListingUnavailable

GONE = errors.NotFound("Alviss: GET /datauploads/9: not found (HTTP 404)", status=404)
TYPE = "alviss.upload"


class Client:
    """A project whose list of uploads and per-object reads are scripted and counted."""

    def __init__(
        self, listed: list[dict[str, Any]] | BaseException, objects: dict[int, dict[str, Any]]
    ) -> None:
        self._listed = listed
        self.objects = objects
        self.lists = 0
        self.reads: list[int] = []

    async def listed(self, kind: str) -> list[shapes.Job]:
        assert kind == "datauploads"
        self.lists += 1
        await asyncio.sleep(0)  # concurrent readers arrive while the list is in flight
        if isinstance(self._listed, BaseException):
            raise self._listed
        return [shapes.Upload.model_validate(item) for item in self._listed]

    async def get_upload(self, upload_id: int) -> shapes.Upload:
        self.reads.append(upload_id)
        if upload_id not in self.objects:
            raise GONE
        return shapes.Upload.model_validate(self.objects[upload_id])


def upload(upload_id: int, status: str | None = "complete") -> dict[str, Any]:
    item: dict[str, Any] = {"IId": upload_id, "FileName": f"{upload_id}.csv", "FileSize": 10}
    if status is not None:
        item["Status"] = status
    return item


async def read_all(client: Client, ids: list[int], *, refresh: bool = True) -> list[shapes.Upload | None]:
    async def one(upload_id: int) -> shapes.Upload | None:
        return await lookup.read_recorded(client, TYPE, "datauploads", upload_id, client.get_upload)  # type: ignore[arg-type]

    if not refresh:
        return list(await asyncio.gather(*(one(i) for i in ids)))
    with bulk.snapshot([(client, TYPE)] * len(ids)):
        return list(await asyncio.gather(*(one(i) for i in ids)))


async def test_a_refresh_reads_one_list_for_every_recorded_object() -> None:
    client = Client([upload(1), upload(2), upload(3, "running")], {})
    found = await read_all(client, [1, 2, 3])
    assert [item.IId if item else None for item in found] == [1, 2, 3]
    assert found[2] is not None and found[2].Status == "running"
    assert (client.lists, client.reads) == (1, [])


async def test_the_listed_object_is_what_its_own_read_gives() -> None:
    item = upload(4) | {"DatasetName": "Sales", "CreatedAt": "2026-11-30T10:00:00Z", "Extra": 1}
    listed = await read_all(Client([item, upload(5)], {}), [4, 5])
    alone = await read_all(Client([], {4: item}), [4], refresh=False)
    assert listed[0] is not None and alone[0] is not None
    assert listed[0].model_dump() == alone[0].model_dump()


async def test_outside_a_refresh_each_object_is_read_on_its_own() -> None:
    client = Client([upload(1), upload(2)], {1: upload(1), 2: upload(2)})
    await read_all(client, [1, 2], refresh=False)
    assert (client.lists, sorted(client.reads)) == (0, [1, 2])


async def test_a_single_object_is_read_on_its_own() -> None:
    client = Client([upload(1)], {1: upload(1)})
    await read_all(client, [1])
    assert (client.lists, client.reads) == (0, [1])


async def test_an_object_missing_from_the_list_is_read_and_gone_only_after_two_404s() -> None:
    client = Client([upload(1)], {2: upload(2)})
    found = await read_all(client, [1, 2, 9])
    assert [item.IId if item else None for item in found] == [1, 2, None]
    assert client.lists == 1
    assert sorted(client.reads) == [2, 9, 9]


async def test_an_item_without_status_is_read_on_its_own() -> None:
    client = Client([upload(1, status=None), upload(2)], {1: upload(1, "failed")})
    found = await read_all(client, [1, 2])
    assert found[0] is not None and found[0].Status == "failed"
    assert client.reads == [1]


async def test_no_list_served_means_every_object_is_read_on_its_own() -> None:
    unserved = ListingUnavailable("Alviss: GET /datauploads is not served (HTTP 404)", status=404)
    client = Client(unserved, {1: upload(1), 2: upload(2)})
    found = await read_all(client, [1, 2])
    assert [item.IId if item else None for item in found] == [1, 2]
    assert client.lists == 1  # tried once for the whole refresh, not once per object
    assert sorted(client.reads) == [1, 2]


async def test_an_unreadable_list_falls_back_to_each_object() -> None:
    broken = errors.MalformedAnswer("Alviss: GET /datauploads: not JSON", call="GET /datauploads")
    client = Client(broken, {1: upload(1), 2: upload(2)})
    found = await read_all(client, [1, 2])
    assert [item.IId if item else None for item in found] == [1, 2]
    assert sorted(client.reads) == [1, 2]


async def test_each_refresh_reads_its_own_list() -> None:
    client = Client([upload(1), upload(2)], {})
    await read_all(client, [1, 2])
    await read_all(client, [1, 2])
    assert client.lists == 2
