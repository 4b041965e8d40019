"""The local stack behind `gauntlet up/status/down`: four services, embedded unless configured.

A service whose URL is set in the settings is external: it is probed, never started or
stopped. The others run embedded under <data_dir>, started in dependency order, each
health-checked before the next; `stack.json` under data_dir records what runs where.
"""

from __future__ import annotations

import importlib
import json
import socket
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import urlsplit

from live.settings import GauntletSettings
from live.stack._process import make_folder
from live.stack.base import EmbeddedService, Endpoint

SERVICE_ORDER: tuple[str, ...] = ("postgres", "redis", "nats", "vault")
STATE_FILE = "stack.json"


class StackError(RuntimeError):
    """A service of the stack could not be started, or an unknown service was named."""


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    mode: Literal["embedded", "external"]
    url: str | None
    pid: int | None
    healthy: bool


# name -> (module, class); imported on first use so `gauntlet up --only nats` loads no Postgres code.
_EMBEDDED: dict[str, tuple[str, str]] = {
    "postgres": ("live.stack.postgres", "EmbeddedPostgres"),
    "redis": ("live.stack.redis", "EmbeddedRedis"),
    "nats": ("live.stack.nats", "EmbeddedNats"),
    "vault": ("live.stack.vault", "EmbeddedVault"),
}


def embedded_service(name: str) -> EmbeddedService:
    module, cls = _EMBEDDED[name]
    service: EmbeddedService = getattr(importlib.import_module(module), cls)()
    return service


def external_url(settings: GauntletSettings, name: str) -> str | None:
    urls = {
        "postgres": settings.postgres.dsn,
        "redis": settings.redis.url,
        "nats": settings.nats.url,
        "vault": settings.vault.addr,
    }
    return urls[name]


class Stack:
    def __init__(
        self, settings: GauntletSettings, services: Mapping[str, EmbeddedService] | None = None
    ) -> None:
        self.settings = settings
        self.data_dir = settings.state_dir
        self._services: dict[str, EmbeddedService] = dict(services or {})

    def select(self, only: Sequence[str] | None) -> list[str]:
        if not only:
            return list(SERVICE_ORDER)
        unknown = sorted(set(only) - set(SERVICE_ORDER))
        if unknown:
            raise StackError(
                f"unknown service {', '.join(unknown)}; known: {', '.join(SERVICE_ORDER)}"
            )
        return [name for name in SERVICE_ORDER if name in only]

    def up(self, only: Sequence[str] | None = None) -> list[ServiceStatus]:
        """Start the selected embedded services in order; on a failure stop those just started."""
        make_folder(self.data_dir)
        started: list[str] = []
        for name in self.select(only):
            if external_url(self.settings, name) is not None:
                continue
            if self._service(name).status(self.data_dir) is not None:
                continue  # already running: adopted, so not rolled back on a later failure
            try:
                self._service(name).start(self.data_dir)
            except Exception as exc:  # any failure: roll back, then one line naming the service
                for done in reversed(started):
                    self._service(done).stop(self.data_dir)
                raise StackError(f"{name} did not start: {_one_line(exc)}") from None
            started.append(name)
        statuses = self.status()
        self._write_state(statuses)
        return statuses

    def status(self) -> list[ServiceStatus]:
        return [self._status(name) for name in SERVICE_ORDER]

    def down(self) -> list[str]:
        """Stop every embedded service (reverse order); external ones are left alone."""
        stopped = []
        for name in reversed(SERVICE_ORDER):
            if external_url(self.settings, name) is not None:
                continue
            if self._service(name).status(self.data_dir) is not None:
                stopped.append(name)
            self._service(name).stop(self.data_dir)
        (self.data_dir / STATE_FILE).unlink(missing_ok=True)
        return stopped

    def endpoint(self, name: str) -> str | None:
        """The URL clients should use: the configured one, else the running embedded one."""
        url = external_url(self.settings, name)
        if url is not None:
            return url
        endpoint = self._service(name).status(self.data_dir)
        return endpoint.url if endpoint else None

    def _service(self, name: str) -> EmbeddedService:
        if name not in self._services:
            self._services[name] = embedded_service(name)
        return self._services[name]

    def _status(self, name: str) -> ServiceStatus:
        url = external_url(self.settings, name)
        if url is not None:
            return ServiceStatus(name, "external", url, None, _reachable(url))
        endpoint: Endpoint | None = self._service(name).status(self.data_dir)
        if endpoint is None:
            return ServiceStatus(name, "embedded", None, None, False)
        return ServiceStatus(name, "embedded", endpoint.url, endpoint.pid, True)

    def _write_state(self, statuses: list[ServiceStatus]) -> None:
        state = {
            "written_at": datetime.now(UTC).isoformat(),
            "services": {s.name: asdict(s) for s in statuses if s.mode == "embedded" and s.healthy},
        }
        (self.data_dir / STATE_FILE).write_text(json.dumps(state, indent=2))


def _reachable(url: str) -> bool:
    """External servers get a TCP probe: enough to say "something answers there"."""
    parts = urlsplit(url)
    default_ports = {
        "postgresql": 5432,
        "postgres": 5432,
        "redis": 6379,
        "nats": 4222,
        "http": 80,
        "https": 443,
    }
    port = parts.port or default_ports.get(parts.scheme)
    if parts.hostname is None or port is None:
        return False
    try:
        with socket.create_connection((parts.hostname, port), timeout=1):
            return True
    except OSError:
        return False


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
