"""The page as a document: one self-contained file, every text escaped, no secret on it."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html.parser import HTMLParser

from reconciler.redact import forget_all, remember
from reconciler.report import render_page, view_of
from reconciler.report.page import duration
from reconciler.report.svg import layout
from reconciler.report.view import GraphView
from reconciler.state.document import ResourceState, StateDocument

NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)


class Collected(HTMLParser):
    """Every tag with its attributes, and the text of every script and style."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def page_of(error: str = "refit 12 failed", name: str = "weekly") -> str:
    state = StateDocument(
        resources={
            "alviss.refit.weekly": ResourceState(
                type="alviss.refit", provider="alviss", status="tainted", error=error
            )
        }
    )
    return render_page([view_of(name, spec=None, state=state, now=NOW)], generated_at=NOW)


def test_the_page_fetches_nothing_from_anywhere() -> None:
    html = page_of()
    parser = Collected()
    parser.feed(html)
    for tag, attrs in parser.tags:
        assert "src" not in attrs, (tag, attrs)  # scripts, images, frames: all inline or none
        href = attrs.get("href")
        assert href is None or href.startswith(("#", "data:")), (tag, attrs)
    # The only URL on the page is SVG's namespace name (an identifier, never fetched).
    assert set(re.findall(r"https?://[^\s\"'<>)]+", html)) <= {"http://www.w3.org/2000/svg"}
    assert "@import" not in html and "url(" not in html.replace("url(#arrow)", "")
    policy = next(
        attrs["content"] for tag, attrs in parser.tags if attrs.get("http-equiv") == "Content-Security-Policy"
    )
    assert policy is not None and "default-src 'none'" in policy and "connect-src 'self'" in policy
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html


def test_every_text_is_escaped() -> None:
    html = page_of(error='<script>alert("x")</script> & <b>bold</b>', name="<img src=x onerror=alert(1)>")
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_a_secret_the_process_knows_is_masked_wherever_it_appears() -> None:
    secret = "tok-9f8e7d6c5b4a"
    remember(secret)
    try:
        html = page_of(error=f"401 for Authorization: Bearer {secret}", name=f"ws-{secret}")
    finally:
        forget_all()
    assert secret not in html
    assert "401 for Authorization: Bearer ***" in html


def test_refresh_is_off_when_asked_and_on_by_default() -> None:
    view = view_of("w", spec=None, state=None, now=NOW)
    assert 'data-refresh="60"' in render_page([view], generated_at=NOW)
    assert 'data-refresh="0"' in render_page([view], refresh_seconds=None, generated_at=NOW)


def test_ages_read_as_people_write_them() -> None:
    assert [duration(s) for s in (0, 42, 185, 7620, 100_000, -3)] == [
        "0s",
        "42s",
        "3m 05s",
        "2h 07m",
        "1d 03h",
        "0s",
    ]


def test_the_graph_puts_each_node_after_what_it_depends_on_and_lines_up_chains() -> None:
    graph = GraphView(
        nodes=(("u.a", "ready"), ("u.b", "ready"), ("u.c", "ready"), ("d.x", "ready"), ("r.x", "running")),
        edges=(("u.a", "d.x"), ("u.b", "d.x"), ("d.x", "r.x")),
    )
    placed = {node.address: (node.column, node.row) for node in layout(graph)}
    assert placed == {
        "u.a": (0, 0.0),
        "u.b": (0, 1.0),
        "u.c": (0, 2.0),
        "d.x": (1, 0.5),  # between its two uploads
        "r.x": (2, 0.5),  # on the same line as its dataset
    }
