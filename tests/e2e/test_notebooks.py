"""Every notebook in notebooks/ executes top to bottom, is committed without outputs, and
leaves behind what it promises (each notebook's own in-cell asserts check its numbers)."""

from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


def _outputs_with(nb: nbformat.NotebookNode, mime: str) -> list[object]:
    return [o for c in nb.cells for o in c.get("outputs", []) if mime in o.get("data", {})]


def _quickstart(nb: nbformat.NotebookNode, workdir: Path) -> None:
    assert _outputs_with(nb, "text/html"), "the backtest cell renders its rich HTML table"


def _research_at_scale(nb: nbformat.NotebookNode, workdir: Path) -> None:
    assert (workdir / "tearsheet.html").stat().st_size > 100_000
    assert (workdir / "tearsheet.png").read_bytes()[:4] == b"\x89PNG"
    assert (workdir / "mlruns" / "mlflow.db").is_file()
    assert _outputs_with(nb, "application/vnd.plotly.v1+json"), "the heatmap renders as plotly"


EXPECTATIONS: dict[str, Callable[[nbformat.NotebookNode, Path], None]] = {
    "01_quickstart.ipynb": _quickstart,
    "02_research_at_scale.ipynb": _research_at_scale,
}


def test_every_notebook_has_expectations():
    assert NOTEBOOKS, "notebooks/ should hold at least the quickstart"
    assert {p.name for p in NOTEBOOKS} == set(EXPECTATIONS)


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_executes(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # notebooks write reports and an mlruns/ folder
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors, errors
    EXPECTATIONS[path.name](nb, tmp_path)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_outputs_are_stripped(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: outputs not stripped"
            assert cell.execution_count is None, f"{path.name}: execution count not stripped"
