"""The `gauntlet` command line: the one entry point that composes every package."""
