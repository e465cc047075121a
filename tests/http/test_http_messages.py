"""What HttpClient says when a platform refuses: detail, status, hints, no query strings."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
import respx

from reconciler import errors
from reconciler.http import HttpClient


async def test_fastapi_string_detail_is_the_message(
    make_client: Callable[..., HttpClient], router: respx.MockRouter
) -> None:
    router.post("/datasets").mock(return_value=httpx.Response(409, json={"detail": "Dataset already exists"}))
    async with make_client() as client:
        with pytest.raises(errors.ApiError) as info:
            await client.send_json("POST", "/datasets", json={"name": "x"}, creates=True)
    assert str(info.value) == "Alviss project 1/1: POST /datasets: HTTP 409: Dataset already exists"
    assert info.value.status == 409
    assert info.value.body == '{"detail":"Dataset already exists"}'


async def test_fastapi_validation_detail_names_fields(
    make_client: Callable[..., HttpClient], router: respx.MockRouter
) -> None:
    detail = [
        {"loc": ["body", "name"], "msg": "Field required", "type": "missing"},
        {"loc": ["query", "limit"], "msg": "Input should be a valid integer", "type": "int_parsing"},
    ]
    router.post("/models/3/refit").mock(return_value=httpx.Response(422, json={"detail": detail}))
    async with make_client() as client:
        with pytest.raises(errors.ApiError) as info:
            await client.request("POST", "/models/3/refit", json={}, creates=True)
    assert str(info.value) == (
        "Alviss project 1/1: POST /models/3/refit: HTTP 422: "
        "body.name: Field required; query.limit: Input should be a valid integer"
    )


async def test_plain_body_is_cut(make_client: Callable[..., HttpClient], router: respx.MockRouter) -> None:
    router.get("/things").mock(return_value=httpx.Response(400, text="x" * 2000))
    async with make_client() as client:
        with pytest.raises(errors.ApiError) as info:
            await client.request("GET", "/things")
    assert str(info.value).endswith("x" * 500 + "… (1500 more characters)")
    assert len(info.value.body) < 600


async def test_unauthorized_says_token_rejected_with_hint(
    make_client: Callable[..., HttpClient], router: respx.MockRouter
) -> None:
    router.get("/models/3").mock(return_value=httpx.Response(401, json={"detail": "Invalid token"}))
    async with make_client(auth_hint="check ALVISS_TOKEN") as client:
        with pytest.raises(errors.AuthError) as info:
            await client.get_json("/models/3")
    assert (
        info.value.message == "Alviss project 1/1: token rejected (HTTP 401) on GET /models/3: Invalid token"
    )
    assert info.value.hint == "check ALVISS_TOKEN"
    assert "hint: check ALVISS_TOKEN" in str(info.value)


async def test_not_found_is_its_own_error(
    make_client: Callable[..., HttpClient], router: respx.MockRouter
) -> None:
    router.get("/datauploads/9").mock(return_value=httpx.Response(404, json={"detail": "Not Found"}))
    async with make_client() as client:
        with pytest.raises(errors.NotFound) as info:
            await client.get_json("/datauploads/9")
    assert str(info.value) == "Alviss project 1/1: GET /datauploads/9: not found (HTTP 404): Not Found"


@pytest.mark.parametrize("status", [404, 503])
async def test_messages_never_show_the_query_string(
    make_client: Callable[..., HttpClient], router: respx.MockRouter, status: int
) -> None:
    router.get("/v1/datasets").mock(return_value=httpx.Response(status))
    async with make_client() as client:
        with pytest.raises(errors.ApiError) as info:
            await client.get_json("/v1/datasets?api_key=abcdefgh", params={"other_key": "ijklmnop"})
    assert "GET /v1/datasets" in str(info.value)
    for leaked in ("api_key", "abcdefgh", "other_key", "ijklmnop", "?"):
        assert leaked not in str(info.value)


async def test_json_helpers(make_client: Callable[..., HttpClient], router: respx.MockRouter) -> None:
    router.get("/active").mock(return_value=httpx.Response(200, json={"Id": 4}))
    route = router.post("/activate").mock(return_value=httpx.Response(204))
    router.get("/html").mock(return_value=httpx.Response(200, text="<html>maintenance</html>"))
    async with make_client() as client:
        assert await client.get_json("/active") == {"Id": 4}
        assert await client.send_json("POST", "/activate", json={"Id": 4}, params={"force": "1"}) is None
        with pytest.raises(errors.MalformedAnswer, match=r"GET /html: the answer is not JSON: <html>maint"):
            await client.get_json("/html")
    assert route.calls.last.request.content == b'{"Id":4}'
    assert route.calls.last.request.url.params["force"] == "1"


async def test_headers_are_sent_and_client_closes(
    make_client: Callable[..., HttpClient], router: respx.MockRouter
) -> None:
    route = router.get("/me").mock(return_value=httpx.Response(200, json={}))
    client = make_client(headers={"Authorization": "Bearer abcd-1234"})
    async with client:
        await client.get_json("/me")
    assert route.calls.last.request.headers["Authorization"] == "Bearer abcd-1234"
    assert client._client.is_closed
