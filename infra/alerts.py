"""Alerts when a task fails: to a webhook or an SMTP server when configured, else to a log file.

Every dtimon DAG gets `on_failure` as its tasks' failure callback (infra/dag_defaults.py).
Configuration (environment, read when the alert is sent):

- `DTIMON_ALERT_WEBHOOK`: URL that receives a JSON POST `{"text": ..., "dag_id": ..., ...}`
- `DTIMON_SMTP_HOST` (+ `DTIMON_SMTP_PORT` 25, `DTIMON_SMTP_USER`, `DTIMON_SMTP_PASSWORD`,
  `DTIMON_ALERT_FROM`, `DTIMON_ALERT_TO` comma-separated): an e-mail per failure
- neither: appended to `<DTIMON_HOME>/run/alerts.log` (which `make run` and `make status`
  print), one entry per alert: its first line stamped, the rest indented

The text is the failure's whole message (a failed dbt build names its failed nodes first),
masked (infra/masking.py) and bounded to ALERT_CHARS.

A delivery that fails is written to the alert log too, so no alert is lost silently.
"""

from __future__ import annotations

import json
import logging
import os
import smtplib
from collections.abc import Mapping
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import requests

from core.settings import PROJECT_ROOT
from infra.masking import masked

log = logging.getLogger(__name__)

#: Longest error quoted in an alert: its first line (what failed), then as much of its end as fits.
ALERT_CHARS = 4000


def alert_log(home: Path) -> Path:
    return home / "run" / "alerts.log"


def _home(env: Mapping[str, str]) -> Path:
    return Path(env.get("DTIMON_HOME") or PROJECT_ROOT / ".dtimon")


def describe(context: Mapping[str, Any]) -> dict[str, str]:
    """The facts of one failure, from an Airflow task callback's context."""
    ti = context.get("task_instance") or context.get("ti")
    dag_run = context.get("dag_run")
    exception = context.get("exception")
    facts = {
        "dag_id": str(getattr(ti, "dag_id", None) or getattr(dag_run, "dag_id", "?")),
        "task_id": str(getattr(ti, "task_id", "?")),
        "run_id": str(getattr(ti, "run_id", None) or getattr(dag_run, "run_id", "?")),
        "try_number": str(getattr(ti, "try_number", "?")),
        "error": _error_text(exception) if exception is not None else "?",
    }
    facts["text"] = (
        f"dtimon: task {facts['dag_id']}.{facts['task_id']} failed (run {facts['run_id']}, "
        f"try {facts['try_number']}): {facts['error']}"
    )
    return facts


def _error_text(exception: BaseException) -> str:
    """The exception's whole message, masked (its name if it has none); beyond ALERT_CHARS its first
    line and its end (a failed dbt command names its failed nodes first and ends with dbt's summary)."""
    text = masked(str(exception).strip()) or type(exception).__name__
    if len(text) <= ALERT_CHARS:
        return text
    first, _, rest = text.partition("\n")
    head = first[: ALERT_CHARS // 4] + "\n…"
    return head + rest[-(ALERT_CHARS - len(head)) :]


def write_log(path: Path, text: str) -> None:
    """Append one entry: its first line after the time, the others indented under it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    first, *rest = text.splitlines() or [""]
    with path.open("a", encoding="utf-8") as out:
        out.write(f"{stamp} {first}\n" + "".join(f"    {line}\n" for line in rest))


def send(facts: Mapping[str, str], env: Mapping[str, str] | None = None) -> str:
    """Deliver one alert; returns where it went ("webhook", "smtp" or the log file's path)."""
    env = os.environ if env is None else env
    path = alert_log(_home(env))
    webhook = env.get("DTIMON_ALERT_WEBHOOK")
    smtp_host = env.get("DTIMON_SMTP_HOST")
    try:
        if webhook:
            requests.post(webhook, data=json.dumps(dict(facts)), timeout=10).raise_for_status()
            return "webhook"
        if smtp_host:
            message = EmailMessage()
            message["Subject"] = f"[dtimon] {facts['dag_id']}.{facts['task_id']} failed"
            message["From"] = env.get("DTIMON_ALERT_FROM") or "dtimon@localhost"
            message["To"] = env.get("DTIMON_ALERT_TO") or "root@localhost"
            message.set_content(facts["text"])
            with smtplib.SMTP(smtp_host, int(env.get("DTIMON_SMTP_PORT") or 25), timeout=10) as smtp:
                if env.get("DTIMON_SMTP_USER"):
                    smtp.starttls()
                    smtp.login(env["DTIMON_SMTP_USER"], env.get("DTIMON_SMTP_PASSWORD", ""))
                smtp.send_message(message)
            return "smtp"
    except (requests.RequestException, OSError, smtplib.SMTPException) as exc:
        write_log(path, f"{facts['text']} (alert delivery failed: {type(exc).__name__}: {exc})")
        return str(path)
    write_log(path, facts["text"])
    return str(path)


def on_failure(context: Mapping[str, Any]) -> None:
    """Airflow failure callback: never raises (a broken alert must not hide the task's own error)."""
    try:
        send(describe(context))
    except Exception:  # noqa: BLE001 - the callback must not fail the task a second time
        log.exception("could not send the failure alert")
