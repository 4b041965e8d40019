"""gauntlet.cli.app.main(): how outcomes become exit codes and one-line messages."""

from __future__ import annotations

import importlib

import pytest
import typer

cli = importlib.import_module("gauntlet.cli.app")  # the package re-exports the Typer as `app`


def _run_main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], body: object
) -> tuple[int, str]:
    # Register the real commands first: registered inside the patched list, they would be
    # dropped with it, and every later in-process `gauntlet` call would find no commands.
    cli._load_commands()
    probe = typer.Typer()

    @probe.command("probe")
    def probe_command() -> object:
        if isinstance(body, BaseException):
            raise body
        return body

    monkeypatch.setattr(
        cli.app, "registered_commands", [*cli.app.registered_commands, *probe.registered_commands]
    )
    monkeypatch.setattr("sys.argv", ["gauntlet", "probe"])
    monkeypatch.delenv("GAUNTLET_DEBUG", raising=False)
    with pytest.raises(SystemExit) as exited:
        cli.main()
    return int(exited.value.code or 0), capsys.readouterr().err


@pytest.mark.parametrize(
    ("body", "code", "stderr_start"),
    [
        (None, 0, ""),
        ("a returned value is not an exit code", 0, ""),
        (typer.Exit(3), 3, ""),
        (cli.UserError("bad --cash: must be positive"), 2, "gauntlet: error: bad --cash"),
        (FileNotFoundError("no such file: x.csv"), 2, "gauntlet: error: no such file"),
        (RuntimeError("boom\nsecond line"), 1, "gauntlet: internal error: RuntimeError: boom"),
    ],
    ids=["ok", "returned-value", "typer-exit", "user-error", "missing-file", "internal"],
)
def test_main_maps_outcomes_to_exit_codes(monkeypatch, capsys, body, code, stderr_start):
    exit_code, stderr = _run_main(monkeypatch, capsys, body)
    assert exit_code == code
    assert stderr.startswith(stderr_start)
    assert len(stderr.strip().splitlines()) <= 1, "errors are one line, never a traceback"
