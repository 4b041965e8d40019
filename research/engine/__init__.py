"""The backtest engines: `run.backtest` (the entry point), the vectorized engine and its
order kernel, the event-driven engine, their shared configuration, result and display.

Nothing is imported here: `import research.engine.config` must not load vectorbt or
NautilusTrader (the CLI imports the light modules on every command)."""
