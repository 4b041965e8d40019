"""Run the benchmarks: `python -m bench [NAME ...]` (default: all), e.g. `python -m bench sweep`.

Each benchmark is its own module with its own flags (`python -m bench.bench_sweep --help`);
this runner starts them one after another with their defaults, in separate processes so one
benchmark's memory and JIT caches never flatter the next. Results go to stdout; the figures
quoted in BENCHMARKS.md come from these runs.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

NAMES = sorted(p.stem.removeprefix("bench_") for p in Path(__file__).parent.glob("bench_*.py"))


def main(argv: list[str]) -> int:
    unknown = [name for name in argv if name not in NAMES]
    if unknown:
        print(f"bench: unknown benchmark {', '.join(unknown)}; known: {', '.join(NAMES)}",
              file=sys.stderr)  # fmt: skip
        return 2
    failed = []
    for name in argv or NAMES:
        print(f"\n=== bench_{name} ===", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, "-m", f"bench.bench_{name}"])
        print(f"=== bench_{name}: exit {code} after {time.perf_counter() - started:.0f} s ===")
        if code:
            failed.append(name)
    if failed:
        print(f"bench: failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
