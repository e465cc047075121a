"""The address grammar: resources, instances, data sources, module paths and provider instances."""

from __future__ import annotations

import pytest

from reconciler.spec.names import (
    Address,
    ModuleStep,
    ProviderName,
    check_key,
    instance,
    parse_address,
    parse_instance,
    parse_provider,
    parse_provider_name,
    resource_of,
    type_of,
)


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("alviss.upload.sales", Address("alviss", "upload", "sales")),
        ("alviss.refit.weekly[se]", Address("alviss", "refit", "weekly", key="se")),
        ("alviss.refit.weekly[2024.w46-b_1]", Address("alviss", "refit", "weekly", key="2024.w46-b_1")),
        ("alviss.refit.weekly[SE]", Address("alviss", "refit", "weekly", key="SE")),
        ("alviss.refit.weekly[0]", Address("alviss", "refit", "weekly", key="0")),
        ("data.alviss.model.latest", Address("alviss", "model", "latest", data=True)),
        (
            "module.market[se].alviss.refit.weekly",
            Address("alviss", "refit", "weekly", modules=(ModuleStep("market", "se"),)),
        ),
        (
            "module.a[x.y].module.b.data.akkio.dataset.d",
            Address("akkio", "dataset", "d", data=True, modules=(ModuleStep("a", "x.y"), ModuleStep("b"))),
        ),
        (
            "module.m.alviss.upload.u[k]",
            Address("alviss", "upload", "u", key="k", modules=(ModuleStep("m"),)),
        ),
    ],
)
def test_parse_instance_round_trips(text: str, parsed: Address) -> None:
    assert parse_instance(text) == parsed
    assert str(parsed) == text


@pytest.mark.parametrize(
    "text",
    [
        "alviss.upload",
        "alviss.upload.a.b",
        "alviss.upload.a[",
        "alviss.upload.a[]",
        "alviss.upload.a[se",
        "alviss.upload.a]se[",
        "alviss.upload.a[se]x",
        "alviss.upload.a[se][no]",
        "alviss.upload.a[-se]",
        "alviss.upload.a[s e]",
        'alviss.upload.a["se"]',
        "alviss.upload.a[s[e]]",
        "module.alviss.upload.a",
        "module.M.alviss.upload.a",
        "module.m[x]alviss.upload.a",
        "data.alviss.model",
        "data.data.model.x",
        "module.x.upload.a",
        "",
    ],
)
def test_parse_instance_rejects(text: str) -> None:
    with pytest.raises(ValueError, match=r"invalid (resource|data source) address"):
        parse_instance(text)


def test_a_bad_key_is_named_with_its_rule() -> None:
    with pytest.raises(ValueError, match=r"instance key '-se' is not allowed: use letters, digits"):
        parse_instance("alviss.upload.a[-se]")


def test_a_resource_block_address_has_no_key_module_or_data() -> None:
    assert parse_address("alviss.upload.sales") == ("alviss", "upload", "sales")
    for text in ("alviss.upload.sales[se]", "module.m.alviss.upload.sales", "data.alviss.model.m"):
        with pytest.raises(ValueError, match="invalid resource address"):
            parse_address(text)


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("alviss", ProviderName("alviss")),
        ("alviss.se", ProviderName("alviss", "se")),
        ("alviss.market[se]", ProviderName("alviss", "market", key="se")),
        ("alviss.market[m.1]", ProviderName("alviss", "market", key="m.1")),
        ("module.m[se].alviss.p", ProviderName("alviss", "p", modules=(ModuleStep("m", "se"),))),
    ],
)
def test_parse_provider_round_trips(text: str, parsed: ProviderName) -> None:
    assert parse_provider(text) == parsed
    assert str(parsed) == text


@pytest.mark.parametrize(
    "text",
    ["Alviss", "alviss.", "alviss.a.b", "alviss[se]", "alviss.m[", "alviss.m[]", "module", "data.x", ""],
)
def test_parse_provider_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="invalid provider name"):
        parse_provider(text)


def test_parse_provider_name_keeps_the_key_in_the_alias() -> None:
    assert parse_provider_name("alviss.market[se]") == ("alviss", "market[se]")
    assert parse_provider_name("alviss") == ("alviss", None)
    assert parse_provider("alviss.market[se]").block == "alviss.market"


def test_helpers() -> None:
    assert type_of("module.m[a.b].alviss.refit.w[x.y]") == "alviss.refit"
    assert type_of("data.alviss.model.m") == "alviss.model"
    assert resource_of("module.m[a].alviss.refit.w[x.y]") == "module.m[a].alviss.refit.w"
    assert instance("alviss.refit.w", "se") == "alviss.refit.w[se]"
    assert check_key("se") is None
    assert check_key("") == "an instance key cannot be empty"
    with pytest.raises(ValueError, match="not allowed"):
        instance("alviss.refit.w", "a b")
    inner = parse_instance("alviss.refit.w[se]").within((ModuleStep("m", "no"),))
    assert str(inner) == "module.m[no].alviss.refit.w[se]"
    assert inner.local == "alviss.refit.w[se]"
    assert inner.prefix == "module.m[no]."
