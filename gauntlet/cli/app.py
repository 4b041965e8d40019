"""The typer application, the user-error contract and the command-module list.

Contract for every command: exit 0 on success; exit 2 with exactly one line on stderr
for bad input (`gauntlet: error: ...`), never a traceback; exit 1 for an internal
error, also one line unless GAUNTLET_DEBUG=1. SIGINT and SIGTERM end any command with
`gauntlet: interrupted` and exit 130 / 143 (128 + the signal's number).
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType
from typing import NoReturn

import typer

app = typer.Typer(
    name="gauntlet",
    help="Gauntlet: research, validate and promote trading strategies.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# `gauntlet check ...`: look-ahead, parity and other verdicts that exit non-zero on failure.
check_app = typer.Typer(
    help="Checks that exit non-zero when a strategy fails them.", no_args_is_help=True
)
app.add_typer(check_app, name="check")

# Modules whose import registers commands on `app` (or sub-apps on it).
COMMAND_MODULES: tuple[str, ...] = (
    "gauntlet.cli.strategies_cmd",
    "gauntlet.cli.backtest_cmd",
    "gauntlet.cli.data_cmd",
    "gauntlet.cli.demo_cmd",
    "gauntlet.cli.services_cmd",
    "gauntlet.cli.research_cmd",
    "gauntlet.cli.event_cmd",
    "gauntlet.cli.db_cmd",
    "gauntlet.cli.data_fetch_cmd",
    "gauntlet.cli.promote_cmd",
    "gauntlet.cli.sim_cmd",
    "gauntlet.cli.sim_mt5_cmd",
    "gauntlet.cli.sim_oanda_cmd",
    "gauntlet.cli.sim_polygon_cmd",
    "gauntlet.cli.live_cmd",
    "gauntlet.cli.venue_cmd",
)


class UserError(Exception):
    """Raised by commands for bad input; printed as one line, exit code 2."""


def fail(message: str) -> NoReturn:
    raise UserError(message)


def _user_error_types() -> tuple[type[BaseException], ...]:
    """Exception types that mean "the input was bad", not "Gauntlet has a bug"."""
    from pydantic import ValidationError

    from strategies import BarsError, InvalidParamsError, StrategyOutputError
    from strategies.plugins import PluginError, UnknownStrategyError

    types: list[type[BaseException]] = [
        UserError,
        BarsError,
        InvalidParamsError,
        StrategyOutputError,
        UnknownStrategyError,
        PluginError,
        ValidationError,
        FileNotFoundError,
        IsADirectoryError,
        PermissionError,
    ]
    for dotted in USER_ERROR_PATHS:
        module, _, name = dotted.rpartition(".")
        # An exception of a type from a module that was never imported cannot have been
        # raised: only loaded modules are consulted, so an error exit imports nothing heavy.
        loaded = sys.modules.get(module)
        if loaded is not None and hasattr(loaded, name):
            types.append(getattr(loaded, name))
    return tuple(types)


# Errors defined by the other packages that mean bad input (imported lazily).
USER_ERROR_PATHS: tuple[str, ...] = (
    "research.errors.ResearchInputError",
    "marketdata.errors.DataError",
    "execution_engine.adapters.sandbox.providers.UnknownInstrumentError",
    "execution_engine.risk.ControlFileError",
    "execution_engine.bars.BarConversionError",
    "execution_engine.venue_limits.VenueLimitError",
    "research.promotion.errors.PromotionInputError",
    "live.registry.errors.RegistryError",
    "live.settings.SettingsError",
    "live.stack.errors.StackStateError",
)


def _one_line_text(text: str) -> str:
    return " ".join(text.split())


def _one_line(exc: BaseException) -> str:
    return _one_line_text(str(exc)) or type(exc).__name__


def _load_commands() -> None:
    for module in COMMAND_MODULES:
        importlib.import_module(module)


def console_script() -> NoReturn:
    """The `gauntlet` executable: `main()`, then a quick exit.

    Tearing down an interpreter that has imported vectorbt, numba and pandas takes about half
    a second (measured 0.5 s of a 3 s backtest), all of it freeing memory the OS reclaims
    anyway. So once `main()` has decided the exit code, the atexit handlers run (they flush
    logs and stop worker pools: the cleanup that matters), the streams are flushed, and the
    process ends with os._exit. In-process callers (tests, notebooks) use `main()`.
    """
    try:
        main()
        code: int = 0
    except SystemExit as exc:
        code = _exit_code(exc.code)
    atexit._run_exitfuncs()  # CPython runs the registered handlers here; os._exit would skip them
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed pipe must not change the exit code
            stream.flush()
    os._exit(code)


def _exit_code(code: object) -> int:
    """SystemExit's code as a process status (None is success, a message is failure)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


# The signals that stop a command, as Ctrl-C does; each ends it with 128 + its number.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_received: list[int] = []  # the stop signals received during this run of main()
_reported: list[bool] = []  # a command already said how it was interrupted (e.g. kept chunks)


def _on_stop_signal(signum: int, frame: FrameType | None) -> None:
    # Raised wherever the program is, so it unwinds as from Ctrl-C: finally blocks run, a sweep
    # stops its pool and keeps the finished chunks; main() then exits with this signal's code.
    _received.append(signum)
    raise KeyboardInterrupt


@contextlib.contextmanager
def _stop_signals_handled() -> Iterator[None]:
    """SIGINT and SIGTERM raise KeyboardInterrupt while a command runs (restored after, for
    in-process callers). Only the main thread can set handlers; elsewhere nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _on_stop_signal) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def reclaim_stop_signals() -> None:
    """Put the stop-signal handlers back at the C level, after native code replaced them.

    Python's `signal.signal` table still names `_on_stop_signal`, but importing QuickFIX and
    NautilusTrader's Rust core installs their own SIGINT disposition underneath it (measured:
    a Rust handler, then SIG_DFL), so Ctrl-C hung or killed a FIX session without its summary.
    Setting the handler again reinstalls Python's trampoline. Call it after such imports."""
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in STOP_SIGNALS:
        handler = signal.getsignal(sig)
        if callable(handler):
            signal.signal(sig, handler)


def interrupted_exit_code() -> int:
    """128 + the stop signal received (SIGINT if none was: a KeyboardInterrupt is Ctrl-C)."""
    return 128 + (_received[-1] if _received else signal.SIGINT)


def report_interrupted(detail: str) -> NoReturn:
    """A command's own one-line account of an interruption (`gauntlet: interrupted: detail`),
    then the signal's exit code; main() adds no second line."""
    typer.echo(f"gauntlet: interrupted: {detail}", err=True)
    _reported.append(True)
    raise typer.Exit(interrupted_exit_code())


def main() -> None:
    _received.clear()
    _reported.clear()
    with _stop_signals_handled():
        try:
            code = _run_app()
        except KeyboardInterrupt:  # before typer runs the command, or while it reports
            code = None
        if _received or code is None:
            if not _reported:
                typer.echo("gauntlet: interrupted", err=True)
            code = interrupted_exit_code()
    sys.exit(code)


def _run_app() -> int:
    _load_commands()
    debug = os.environ.get("GAUNTLET_DEBUG") == "1"
    try:
        # Without standalone mode click *returns* the code of a `typer.Exit(n)` instead of
        # exiting with it (typer turns a KeyboardInterrupt into Exit(130)); a command's own
        # return value is never an exit code.
        returned = app(standalone_mode=False)
    except (SystemExit, KeyboardInterrupt):
        raise
    except Exception as exc:  # the one place that turns exceptions into exit codes
        return _exit_for(exc, debug)
    return returned if isinstance(returned, int) else 0


def _exit_for(exc: Exception, debug: bool) -> int:
    """The exit code of an exception a command raised, after its one line on stderr."""
    # typer vendors click; its exceptions are reachable through typer's public names.
    if isinstance(exc, typer.Exit):
        return int(exc.exit_code)
    if isinstance(exc, typer.Abort):
        typer.echo("gauntlet: aborted", err=True)
        return 130
    if isinstance(exc, typer.TyperException):
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        typer.echo(f"gauntlet: error: {_one_line_text(message)}", err=True)
        return 2
    if debug:
        raise exc
    if isinstance(exc, _user_error_types()):
        typer.echo(f"gauntlet: error: {_one_line(exc)}", err=True)
        return 2
    typer.echo(
        f"gauntlet: internal error: {type(exc).__name__}: {_one_line(exc)} "
        "(set GAUNTLET_DEBUG=1 for a traceback)",
        err=True,
    )
    return 1
