"""A whole simulated MetaTrader terminal: the trade engine (engine.py) behind the EA's link
to the bridge (link.py's `TerminalLink` over TLS for MT5, poll_link.py's `PollLink` over
HTTPS polling for MT4), and optionally a quote replay from a bars file.

`TerminalSimulator(config).start()` dials the bridge and keeps reconnecting as an EA does;
`push_tick` feeds prices by hand (with or without a replay); `stop()` ends it all. The
engine's events go out through the link, which sends those a request caused after its
answer, as `OnTradeTransaction` runs after `OrderSend` returned.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from execution_engine.adapters.mt5.sim.config import EngineConfig
from execution_engine.adapters.mt5.sim.engine import TerminalEngine
from execution_engine.adapters.mt5.sim.link import DEFAULT_BACKOFF, LinkFaults, TerminalLink
from execution_engine.adapters.mt5.sim.poll_link import PollLink
from execution_engine.adapters.mt5.sim.quotes import Quote, QuoteReplay, quotes_from_bar_file

CLOCK_SECONDS = 0.1  # how often the trade server looks for pending orders past their expiry


class EaLink(Protocol):
    """What TerminalLink and PollLink both offer the simulator."""

    faults: LinkFaults
    connects: int

    @property
    def connected(self) -> bool: ...

    def start(self) -> None: ...

    def stop(self, timeout: float = 10.0) -> None: ...

    def restart(self) -> None: ...

    def emit(self, event: str, data: dict[str, Any]) -> None: ...

    def wait_connected(self, timeout: float) -> bool: ...


class SimTerminalConfig(BaseModel):
    """Where the EA dials (the bridge's TCP port for MT5, its HTTP port for MT4), as whom,
    the terminal's account and symbols, and the quotes it replays."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(ge=1, le=65_535)
    token: SecretStr
    terminal: str = Field(min_length=1)
    ca_file: Path | None = None  # None: the system's trust store
    tls: bool = True
    platform: Literal["mt5", "mt4"] = "mt5"
    engine: EngineConfig = EngineConfig()
    bars: Path | None = None  # None: no replay, quotes only by push_tick
    interval: float = Field(default=0.0, ge=0)  # seconds between replayed quotes
    symbol: str = "EURUSD"  # the replayed bars' symbol
    spread_points: int = Field(default=10, ge=0)
    backoff: tuple[float, ...] = DEFAULT_BACKOFF
    poll_interval: float = Field(default=0.1, gt=0)  # MT4's OnTimer

    @model_validator(mode="before")
    @classmethod
    def _engine_on_the_platform(cls, data: Any) -> Any:
        if isinstance(data, dict) and "engine" not in data and data.get("platform") == "mt4":
            data = {**data, "engine": EngineConfig(platform="mt4")}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> SimTerminalConfig:
        if self.engine.platform != self.platform:
            raise ValueError(
                f"the terminal is {self.platform} but its engine is {self.engine.platform}"
            )
        if self.bars is not None and self.symbol not in {s.name for s in self.engine.symbols}:
            raise ValueError(f"the bars' symbol {self.symbol!r} is not in the terminal's symbols")
        return self


class TerminalSimulator:
    def __init__(self, config: SimTerminalConfig) -> None:
        self.config = config
        # The engine emits nothing before it is asked something, and the link exists by then.
        self.engine = TerminalEngine(config.engine, emit=lambda e, d: self.link.emit(e, d))
        self.link: EaLink = self._new_link()
        self.quotes: list[Quote] = self._load_quotes()
        self.replay: QuoteReplay | None = None
        self._clock: threading.Thread | None = None
        self._clock_stop = threading.Event()

    def _new_link(self) -> EaLink:
        config = self.config
        options: dict[str, Any] = {
            "platform": config.platform,
            "login": config.engine.login,
            "broker": config.engine.broker,
            "ca_file": config.ca_file,
            "tls": config.tls,
            "backoff": config.backoff,
        }
        token = config.token.get_secret_value()
        if config.platform == "mt4":
            return PollLink(
                config.host,
                config.port,
                token,
                config.terminal,
                self.engine,
                poll_interval=config.poll_interval,
                **options,
            )
        return TerminalLink(
            config.host, config.port, token, config.terminal, self.engine, **options
        )

    def _load_quotes(self) -> list[Quote]:
        if self.config.bars is None:
            return []
        spec = next(s for s in self.config.engine.symbols if s.name == self.config.symbol)
        return quotes_from_bar_file(self.config.bars, spec, self.config.spread_points)

    def start(self) -> None:
        self._clock_stop.clear()
        self._clock = threading.Thread(target=self._server_clock, name="mt-sim-clock", daemon=True)
        self._clock.start()
        self.link.start()
        if self.quotes and self.config.interval > 0:
            self.replay = QuoteReplay(self.quotes, self.config.interval, self._push_quote)
            self.replay.start()

    def stop(self) -> None:
        if self.replay is not None:
            self.replay.stop()
        self._clock_stop.set()
        if self._clock is not None:
            self._clock.join(timeout=2.0)
        self.link.stop()

    def _server_clock(self) -> None:
        """The trade server expires pending orders on its clock, not on ticks."""
        while not self._clock_stop.wait(CLOCK_SECONDS):
            self.engine.expire_due()

    def __enter__(self) -> TerminalSimulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def push_tick(
        self, symbol: str, bid: Decimal, ask: Decimal, time_ms: int | None = None
    ) -> None:
        self.engine.push_tick(symbol, bid, ask, time_ms)

    def _push_quote(self, quote: Quote) -> None:
        self.engine.push_tick(self.config.symbol, quote.bid, quote.ask)
