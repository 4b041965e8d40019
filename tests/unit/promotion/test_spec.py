"""Strategy specs: validation, data loading and the spec hash."""

from pathlib import Path

import pytest
import yaml

from research.promotion.errors import PromotionInputError
from research.promotion.spec import load_spec, parse_spec

PASSING = Path("specs/sma_cross_h1.yaml")
FAILING = Path("specs/examples/sma_cross_slow_h1.yaml")


def _raw() -> dict:
    return yaml.safe_load(PASSING.read_text())


def test_example_specs_load():
    spec = load_spec(PASSING)
    assert spec.strategy == "sma_cross"
    assert spec.full_params == {"fast": 10, "slow": 50, "allow_short": True, "entry": "state"}
    assert spec.search == {"fast": [5, 10, 20], "slow": [50, 100, 200]}
    assert spec.backtest_config().costs.commission == 2e-5
    assert load_spec(FAILING).name == "sma-cross-slow-eurusd-h1"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"strategy": "no_such"}, "unknown strategy 'no_such'"),
        ({"params": {"fast": 60, "slow": 50}}, "fast must be < slow"),
        ({"params": {"speed": 3}}, "params.speed"),
        ({"search": {"window": [1, 2]}}, "unknown parameter(s) of sma_cross: ['window']"),
        ({"search": {"fast": []}}, "at least one value"),
        ({"name": "Has Spaces"}, "name: String should match pattern"),
        ({"folds": 0}, "folds"),
        ({"instruments": []}, "instruments"),
        ({"start": "2021-01-01", "end": "2020-01-01"}, "is not before end"),
        ({"extra": 1}, "extra: Extra inputs are not permitted"),
    ],
)
def test_invalid_spec_is_one_clear_error(edit, message):
    with pytest.raises(PromotionInputError, match="invalid spec") as err:
        parse_spec({**_raw(), **edit}, "x.yaml")
    assert message in str(err.value)


def test_missing_data_and_relative_paths(tmp_path):
    spec_file = tmp_path / "s.yaml"
    spec_file.write_text(yaml.safe_dump({**_raw(), "data": "nowhere.csv"}))
    with pytest.raises(PromotionInputError, match="does not exist"):
        load_spec(spec_file)
    # A path relative to the spec file's folder resolves.
    (tmp_path / "bars.csv").write_bytes(Path("data/sample/EURUSD_H1_synthetic.csv").read_bytes())
    spec_file.write_text(yaml.safe_dump({**_raw(), "data": "bars.csv"}))
    assert load_spec(spec_file).data == tmp_path / "bars.csv"


def test_load_bars_cuts_the_date_range():
    spec = parse_spec({**_raw(), "start": "2020-03-03", "end": "2020-03-04"})
    bars = spec.load_bars()
    assert str(bars.index[0]) == "2020-03-03 00:00:00+00:00"
    assert str(bars.index[-1]) == "2020-03-04 23:00:00+00:00"
    assert bars.attrs["instrument"] == "EUR/USD"
    empty = parse_spec({**_raw(), "start": "2030-01-01", "end": "2030-02-01"})
    with pytest.raises(PromotionInputError, match="no bars"):
        empty.load_bars()


def test_spec_hash_covers_code_params_grid_and_data_not_the_label():
    spec = parse_spec(_raw())
    base = spec.spec_hash("fp", "abc")
    assert base == parse_spec(_raw()).spec_hash("fp", "abc")  # deterministic
    assert base == parse_spec({**_raw(), "name": "another-label"}).spec_hash("fp", "abc")
    assert base == parse_spec({**_raw(), "params": {"fast": 10}}).spec_hash("fp", "abc")  # defaults
    assert base != spec.spec_hash("fp2", "abc")
    assert base != spec.spec_hash("fp", "abd")
    assert base != parse_spec({**_raw(), "params": {"fast": 5}}).spec_hash("fp", "abc")
    assert base != parse_spec({**_raw(), "search": {"fast": [5]}}).spec_hash("fp", "abc")
    assert base != parse_spec({**_raw(), "costs": {"slippage": 1e-4}}).spec_hash("fp", "abc")
