"""A failed task raises an alert: to a webhook when configured, else to the alert log."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest

from infra.alerts import ALERT_CHARS, alert_log, describe, on_failure, send

CONTEXT = {
    "task_instance": SimpleNamespace(
        dag_id="ingest_onestop", task_id="load_dossiers", run_id="manual__2025-09-02", try_number=3
    ),
    "exception": RuntimeError("DTIMON_PSEUDONYM_KEY is not set\nsecond line"),
}


def test_failure_goes_to_the_alert_log_when_nothing_is_configured(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DTIMON_HOME", str(tmp_path))
    for name in ("DTIMON_ALERT_WEBHOOK", "DTIMON_SMTP_HOST"):
        monkeypatch.delenv(name, raising=False)
    on_failure(CONTEXT)
    lines = alert_log(tmp_path).read_text().splitlines()
    assert len(lines) == 2  # the whole message: its first line stamped, the next indented
    assert lines[0].endswith(
        "dtimon: task ingest_onestop.load_dossiers failed (run manual__2025-09-02, try 3): "
        "DTIMON_PSEUDONYM_KEY is not set"
    )
    assert lines[1] == "    second line"


def test_an_alert_holds_the_whole_message_masked_and_bounded() -> None:
    lines = [f"line {n}: postgresql://dtimon:s3cret@db/w citizen 079123456789" for n in range(500)]
    facts = describe({**CONTEXT, "exception": RuntimeError("\n".join(lines))})
    first, cut, *_ = facts["error"].splitlines()
    assert (first, cut[0]) == ("line 0: postgresql://dtimon:***@db/w citizen ############", "…")
    assert len(facts["error"]) == ALERT_CHARS
    assert facts["error"].endswith("\nline 499: postgresql://dtimon:***@db/w citizen ############")
    assert "s3cret" not in facts["text"] and "079123456789" not in facts["text"]


class _Hook(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 - the base class's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Hook.received.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def test_failure_goes_to_the_webhook_when_configured(tmp_path: Path, webhook: str) -> None:
    env = {"DTIMON_HOME": str(tmp_path), "DTIMON_ALERT_WEBHOOK": webhook}
    assert send(describe(CONTEXT), env) == "webhook"
    assert _Hook.received[0]["dag_id"] == "ingest_onestop"
    assert _Hook.received[0]["task_id"] == "load_dossiers"
    assert not alert_log(tmp_path).exists()


def test_an_alert_that_cannot_be_delivered_is_logged(tmp_path: Path) -> None:
    env = {"DTIMON_HOME": str(tmp_path), "DTIMON_ALERT_WEBHOOK": "http://127.0.0.1:9/hook"}
    assert send(describe(CONTEXT), env) == str(alert_log(tmp_path))
    assert "alert delivery failed: ConnectionError" in alert_log(tmp_path).read_text()
