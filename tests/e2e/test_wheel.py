"""The built wheel works without the checkout: installed into a scratch venv that cannot import
the repository, `gauntlet` finds the policy, the specs and their sample data inside the wheel.

`gauntlet demo` runs every chapter (there is no flag for one), so the promotion path is run as
`gauntlet promote <bundled spec> --to candidate --check`: the bundled policy, a bundled spec and
the bundled data it names, without a registry. The demo's spec paths are checked to resolve into
the wheel too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

TOP_LEVEL = ("strategies", "marketdata", "bus", "research", "agents", "live", "gauntlet",
             "execution_engine")  # fmt: skip


def _run(args: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    # PYTHONPATH would put a checkout back on sys.path and hide what the wheel lacks.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture(scope="module")
def installed(repo_root: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch venv with the wheel and nothing else of ours; returns its site-packages."""
    scratch = tmp_path_factory.mktemp("wheel")
    dist = scratch / "dist"
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist),
                  repo_root], cwd=scratch)  # fmt: skip
    assert built.returncode == 0, built.stderr
    (wheel,) = dist.glob("gauntlet-*.whl")
    env = scratch / "venv"
    venv.create(env, with_pip=False)
    python = env / "bin" / "python"
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                     cwd=scratch).stdout.strip())  # fmt: skip
    # A .pth line only adds the folder: the .pth files in it (the editable install's, which put
    # the checkout on sys.path) are not processed, so the dependencies come without the repo.
    (site / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    install = _run([sys.executable, "-m", "pip", "--python", str(python), "install",
                    "--no-deps", "-q", str(wheel)], cwd=scratch)  # fmt: skip
    assert install.returncode == 0, install.stderr
    return site


def test_every_package_comes_from_the_wheel(installed: Path, tmp_path: Path) -> None:
    python = installed.parents[2] / "bin" / "python"
    code = "import importlib, json, sys; print(json.dumps({m: importlib.import_module(m).__file__ for m in sys.argv[1:]}))"
    proc = _run([str(python), "-c", code, *TOP_LEVEL], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for module, file in json.loads(proc.stdout).items():
        assert Path(file).is_relative_to(installed), f"{module} imported from {file}"


def test_promotion_reads_the_bundled_policy_specs_and_data(installed: Path, tmp_path: Path) -> None:
    bundle = installed / "research" / "_bundled"
    bin_dir = installed.parents[2] / "bin"
    where = ("from gauntlet.cli.demo_cmd import PROMOTED_SPEC as p, REFUSED_SPEC as r; "
             "from research.promotion import load_spec; "
             "from research.promotion.policy import DEFAULT_POLICY as d; "
             "print(p, r, d, load_spec(p).data)")  # fmt: skip
    paths = _run([str(bin_dir / "python"), "-c", where], cwd=tmp_path)
    assert paths.returncode == 0, paths.stderr
    assert paths.stdout.split() == [
        str(bundle / "specs" / "sma_cross_h1.yaml"),
        str(bundle / "specs" / "examples" / "sma_cross_slow_h1.yaml"),
        str(bundle / "policy" / "promotion.yaml"),
        str(bundle / "data" / "sample" / "EURUSD_H1_synthetic.csv"),
    ]
    spec = bundle / "specs" / "sma_cross_h1.yaml"
    proc = _run([str(bin_dir / "gauntlet"), "promote", str(spec), "--to", "candidate", "--check",
                 "--json"], cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr  # every candidate gate passed
    evidence = Path(json.loads(proc.stdout)["bundle"]) / "evidence.json"
    assert evidence.resolve().is_relative_to(
        tmp_path.resolve()
    )  # written under the cwd, not the wheel


def test_a_project_s_own_policy_wins_over_the_bundled_one(installed: Path, tmp_path: Path) -> None:
    (tmp_path / "policy").mkdir()
    (tmp_path / "policy" / "promotion.yaml").write_text("version: 1\n")
    python = str(installed.parents[2] / "bin" / "python")
    proc = _run([python, "-c", "from research.promotion.policy import DEFAULT_POLICY; print(DEFAULT_POLICY)"],
                cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(tmp_path / "policy" / "promotion.yaml")
