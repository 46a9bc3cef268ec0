"""Where each registered source is pulled from: its sandbox (started here), its endpoint, its origin."""

from __future__ import annotations

import dataclasses
import itertools
import os
import sys
from collections.abc import Callable
from datetime import date

import psycopg
import requests

from core.settings import ConfigError, Settings, SourceSettings, mask_url
from infra import processes
from infra.airflow_env import source_origin, source_settings
from infra.cli.common import UserError
from infra.cli.supervision import http_ok
from infra.sandbox_certificates import local_certificates
from ingestion.sources import SOURCES, Source


def sandbox_process(source: Source) -> str:
    """The process name (pid and log file) of a source's sandbox."""
    return f"sandbox-{source.name}"


def sandbox_argv(settings: Settings, source: Source) -> list[str]:
    """The command that serves `source`'s sandbox (its module's `serve` command)."""
    assert source.sandbox is not None
    config = source_settings(settings, source)
    argv = [sys.executable, "-m", "infra.sandbox_launch", source.sandbox.module]
    argv += ["serve", "--port", str(config.sandbox_port)]
    if config.sandbox_tls:
        files = local_certificates(settings, source)
        argv += ["--tls-cert", str(files.server_cert), "--tls-key", str(files.server_key)]
        argv += ["--client-ca", str(files.ca)]
    if settings.sandbox_data_dir:
        return [*argv, "--data-dir", str(settings.sandbox_data_dir)]
    span_start = date.fromordinal(settings.demo_start.toordinal() - 90)
    return [
        *argv,
        "--seed",
        str(settings.sandbox_seed),
        "--scale",
        str(config.sandbox_scale),
        "--start",
        span_start.isoformat(),
        "--end",
        settings.demo_end.isoformat(),
        "--province",
        settings.province_code,
    ]


def simulating(settings: Settings, end: date) -> Settings:
    """The settings a sandbox is started with for a run up to `end` (exclusive): it simulates up to
    the later of DTIMON_DEMO_END and `end`, so no day the run asks for is empty."""
    return settings if end <= settings.demo_end else dataclasses.replace(settings, demo_end=end)


def sandbox_env(settings: Settings, source: Source) -> dict[str, str]:
    """The sandbox's environment: ours plus its credentials (kept off the command line, which `ps` shows)."""
    from infra.sandbox_launch import PASSWORD_VARIABLE, USERNAME_VARIABLE

    config = source_settings(settings, source)
    return {**os.environ, USERNAME_VARIABLE: config.username, PASSWORD_VARIABLE: config.password}


def sandbox_health(settings: Settings, source: Source) -> Callable[[], bool]:
    """The health check of a source's sandbox (with its client certificate under mutual TLS)."""
    assert source.sandbox is not None
    config = source_settings(settings, source)
    url = f"{config.sandbox_url}{source.sandbox.health_path}"
    if not config.sandbox_tls:
        return http_ok(url)
    return http_ok(url, cert=(config.client_cert, config.client_key), verify=config.ca_cert)


def sandboxed_sources(settings: Settings) -> list[Source]:
    """Registered sources with no configured URL: the ones served by their sandbox."""
    return [source for source in SOURCES.values() if source_settings(settings, source).uses_sandbox]


def start_sandboxes(settings: Settings) -> list[str]:
    """Start the sandbox of every registered source that has no configured URL.

    Returns the process names this call started (already running ones are left alone). When one
    cannot start, those this call started are stopped before the error goes on: nothing is left behind.
    """
    started: list[str] = []
    try:
        for source in sandboxed_sources(settings):
            if source.sandbox is None:
                raise ConfigError(
                    f"source {source.name} has no sandbox: set DTIMON_{source.name.upper()}_URL to its endpoint"
                )
            name, argv = sandbox_process(source), sandbox_argv(settings, source)
            pid = processes.pid_of(settings.run_dir, name)
            if pid:
                check_serves_the_same(name, pid, argv)
                continue
            processes.start(
                settings.run_dir,
                name,
                argv,
                sandbox_env(settings, source),
                ready=sandbox_health(settings, source),
            )
            started.append(name)
    except BaseException:
        processes.stop_all(settings.run_dir, started)
        raise
    return started


def check_serves_the_same(name: str, pid: int, argv: list[str]) -> None:
    """A sandbox left running (by `make up`, or a killed run) is reused only when it serves what this
    run would start it with: one simulating another period, scale or seed would answer the days
    outside its period with nothing."""
    running = processes.command_of(pid)
    if running is None or running == argv:
        return

    def options(command: list[str]) -> dict[str, str]:
        return {flag: value for flag, value in itertools.pairwise(command) if flag.startswith("--")}

    have, want = options(running), options(argv)
    changed = [
        f"{flag} {have.get(flag, '(none)')}, not {want.get(flag, '(none)')}"
        for flag in sorted(have.keys() | want.keys())
        if have.get(flag) != want.get(flag)
    ]
    raise UserError(
        f"{name} (pid {pid}) is already running with other settings ({'; '.join(changed) or 'another command'}):"
        " stop it with `make down` and run again"
    )


def check_data_dir(settings: Settings) -> None:
    """A replay folder must exist and hold the files `export` writes (agencies.json first)."""
    folder = settings.sandbox_data_dir
    if folder is None:
        return
    if not folder.is_dir():
        raise UserError(
            f"DTIMON_SANDBOX_DATA_DIR={folder} is not a folder: point it at the output of `export`"
        )
    if not (folder / "agencies.json").is_file():
        raise UserError(
            f"DTIMON_SANDBOX_DATA_DIR={folder} has no agencies.json: point it at a folder written by "
            "`python -m ingestion.sandbox export --out DIR ...`"
        )


def describe_sources(settings: Settings) -> str:
    """One line naming where every registered source is pulled from."""

    def where(config: SourceSettings) -> str:
        return f"{config.name} {mask_url(config.url)}" + (" (sandbox)" if config.uses_sandbox else "")

    return ", ".join(where(source_settings(settings, source)) for source in SOURCES.values())


def preflight(settings: Settings) -> None:
    """Configuration that would fail every task, checked once before the first DAG run."""
    from ingestion.privacy import Pseudonymiser

    if settings.environment not in {"demo", "test"}:
        Pseudonymiser.from_settings(settings)  # ConfigError in production without a key
    for source in SOURCES.values():
        config = source_settings(settings, source)
        if config.uses_sandbox:
            continue
        check_source(source, config)


def check_source(source: Source, config: SourceSettings) -> None:
    """One request to a configured source: reachable, and (for a token login) the credentials accepted."""
    from ingestion.sources.base import TokenLogin

    prefix = f"DTIMON_{source.name.upper()}_"
    try:
        if isinstance(source.auth, TokenLogin):
            login = {"username": config.username, "password": config.password}
            reply = requests.post(config.url.rstrip("/") + source.auth.path, json=login, timeout=5)
            if reply.status_code in {401, 403}:
                raise UserError(
                    f"source {source.name} at {mask_url(config.url)} refused the login of "
                    f"{config.username!r} (HTTP {reply.status_code}): check {prefix}USERNAME and {prefix}PASSWORD"
                )
        else:
            requests.get(config.url, timeout=5)
    except requests.RequestException as exc:
        raise UserError(
            f"source {source.name} at {mask_url(config.url)} is unreachable ({type(exc).__name__}): "
            f"check {prefix}URL and the network"
        ) from exc


def check_origin(settings: Settings) -> None:
    """Migrate the warehouse and refuse, in one line, a source that another origin filled."""
    from ingestion.origins import OriginMismatch, claim
    from ingestion.schema import migrate

    migrate(settings.warehouse_url)
    with psycopg.connect(settings.warehouse_url, autocommit=True) as conn:
        try:
            for source in SOURCES.values():
                claim(conn, source.name, source_origin(settings, source_settings(settings, source)))
        except OriginMismatch as exc:
            raise SystemExit(str(exc)) from None
