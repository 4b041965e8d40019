"""`python -m gauntlet`: the `gauntlet` command (the demo starts live nodes this way)."""

from gauntlet.cli.app import console_script

if __name__ == "__main__":
    console_script()
