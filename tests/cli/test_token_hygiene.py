"""Tokens as real secret stores hand them over: with a file's newline, non-ASCII, echoed back.

Run the way a person runs the tool (a subprocess per command, like
``test_demo_and_secrets.py``).  A token with a control character is refused
at the ``${env:NAME}`` that reads it (file:line:col) before anything is sent;
a non-ASCII one gets an error saying why; and a platform that echoes every
request header, query and body back in its error answers, in every encoding,
never makes the tool print the token.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.cli.test_demo_and_secrets import base_env, checkout, reconciler

__all__ = ["checkout"]

CANARY = "canary-5e8d2b7a-token-do-not-print"
KEY = "canary-91c4f0aa-key-do-not-print"

SPEC = """
state: {{path: state.json}}
providers:
  alviss:
    endpoint: {base}/api/v1/api
    token: ${{env:ALVISS_TOKEN}}
    team: 1
    project: 1
  akkio:
    endpoint: {base}/api/v1
    api_key: ${{env:AKKIO_API_KEY}}
resources:
  alviss.upload.sales: {{dataset_name: Sales, file: {data}/demo/sales_w47.csv}}
  akkio.dataset.leads: {{name: Leads, file: {data}/akkio/leads.csv}}
"""

COMMANDS = (["validate"], ["plan"], ["apply", "--auto-approve"], ["drift"])


def leaked(text: str, secret: str) -> list[str]:
    """Which forms of ``secret`` appear in ``text``."""
    core = secret.strip()
    forms = {
        "as is": core,
        "middle": core[6:-6],
        "json": json.dumps(secret)[1:-1],
        "url": quote(secret, safe=""),
        "base64": base64.b64encode(core.encode()).decode()[:-4],
    }
    return [name for name, form in forms.items() if form in text]


def write_spec(root: Path, base: str) -> Path:
    spec = root / "echo.yaml"
    spec.write_text(SPEC.format(base=base, data=root / "specs" / "data"))
    return spec


@pytest.mark.parametrize(
    ("token", "problem"),
    [
        (CANARY + "\n", "ends with a newline"),
        (CANARY + "\r\n", "ends with a carriage return and a newline"),
        (CANARY[:10] + "\t" + CANARY[10:], "contains a tab"),
        (CANARY[:10] + "\x1b" + CANARY[10:] + "\n", "contains the control character U+001B"),
    ],
    ids=["newline", "crlf", "tab", "escape"],
)
def test_a_token_with_a_control_character_is_refused_where_the_spec_reads_it(
    checkout: Path, token: str, problem: str
) -> None:
    spec = write_spec(checkout, "http://127.0.0.1:9")  # nothing listens: nothing may be sent anyway
    env = base_env(ALVISS_TOKEN=token, AKKIO_API_KEY=KEY)
    for command in COMMANDS:
        run = reconciler(*command, str(spec), cwd=checkout, env=env)
        output = run.stdout + run.stderr
        assert run.returncode == 1, (command, output)
        assert f"{spec}:6:12: environment variable 'ALVISS_TOKEN' {problem}" in output, output
        assert "the value is not shown" in output
        assert "Traceback" not in output
        assert leaked(output, token) == [], (command, output)
    assert not (checkout / "state.json").exists()


def test_a_non_ascii_token_gets_a_clear_error(checkout: Path) -> None:
    spec = write_spec(checkout, "http://127.0.0.1:9")
    token = CANARY.replace("token", "tökén")
    run = reconciler("plan", str(spec), cwd=checkout, env=base_env(ALVISS_TOKEN=token, AKKIO_API_KEY=KEY))
    output = run.stdout + run.stderr
    assert run.returncode == 1
    assert f"{spec}:6:12: provider 'alviss': 'token' is invalid: it has a non-ASCII character" in output
    assert "only ASCII" in output
    assert token not in output and CANARY[:20] not in output
    assert "Traceback" not in output


class Echo(BaseHTTPRequestHandler):
    """Answers every request with an error that repeats the request, in several encodings."""

    status = 401

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length).decode("utf-8", errors="replace")
        headers = dict(self.headers.items())
        as_bytes = {key.encode(): value.encode() for key, value in headers.items()}
        detail = (
            f"denied {self.command} {self.path} headers={json.dumps(headers)} "
            f"b64={base64.b64encode(json.dumps(headers).encode()).decode()} "
            f"quoted={quote(self.path, safe='')} repr={as_bytes!r} body={body[:300]}"
        )
        echoed = json.dumps({"detail": detail, "headers": headers}).encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(echoed)))
        self.end_headers()
        self.wfile.write(echoed)

    do_GET = do_POST = do_PUT = do_PATCH = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def echo_server(status: int) -> Iterator[str]:
    handler = type("EchoStatus", (Echo,), {"status": status})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422, 500])
def test_a_platform_echoing_the_request_never_makes_the_token_appear(checkout: Path, status: int) -> None:
    env = base_env(ALVISS_TOKEN=CANARY, AKKIO_API_KEY=KEY, RECONCILER_MAX_WAIT="1")
    with echo_server(status) as base:
        spec = write_spec(checkout, base)
        runs = [reconciler(*command, str(spec), cwd=checkout, env=env) for command in COMMANDS[1:]]
    applied = runs[1].stdout + runs[1].stderr
    assert runs[1].returncode == 1, applied
    assert "***" in applied or status == 404, applied  # the echo reached the message, masked
    for run in runs:
        output = run.stdout + run.stderr
        assert run.returncode in (0, 1, 2), output
        assert "Traceback" not in output
        assert leaked(output, CANARY) == [], output
        assert leaked(output, KEY) == [], output
    for path in checkout.rglob("*"):
        if path.is_file() and path.suffix in {
            ".json",
            ".backup",
            ".lock",
            ".checkpoints",
            ".journal",
            ".txt",
            ".log",
        }:
            text = path.read_text(errors="replace")
            assert leaked(text, CANARY) == [] and leaked(text, KEY) == [], path
