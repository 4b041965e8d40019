"""The intent journal: durable lines, read back by key, a torn last line dropped."""

from __future__ import annotations

from pathlib import Path

import pytest
from execution_engine.adapters.mt5 import keys
from execution_engine.adapters.mt5.intents import Intent, IntentJournal, IntentJournalError


def intent(client_order_id: str) -> Intent:
    return Intent(
        key=keys.comment_key(client_order_id),
        client_order_id=client_order_id,
        strategy_id="S-001",
        instrument_id="EUR/USD.MT5",
        side="BUY",
        quantity="10000",
        ts_ns=1_700_000_000_000_000_000,
    )


def test_intents_are_read_back_by_key_and_by_client_order_id(tmp_path: Path) -> None:
    path = tmp_path / "mt5" / "intents.jsonl"
    journal = IntentJournal(path)
    journal.record(intent("O-1"))
    journal.record(intent("O-2"))
    journal.close()
    again = IntentJournal(path)
    assert len(again) == 2
    assert again.by_key(keys.comment_key("O-2")) == intent("O-2")
    assert again.by_client_order_id("O-1") == intent("O-1")
    assert again.by_key(keys.comment_key("O-3")) is None


def test_a_torn_last_line_is_dropped_and_appends_go_on(tmp_path: Path) -> None:
    path = tmp_path / "intents.jsonl"
    journal = IntentJournal(path)
    journal.record(intent("O-1"))
    journal.close()
    with path.open("a", encoding="utf-8") as file:
        file.write('{"key":"gt1:abc","client_ord')  # the crash came mid-write
    reopened = IntentJournal(path)
    assert len(reopened) == 1
    reopened.record(intent("O-2"))
    reopened.close()
    assert [i.client_order_id for i in _all(path)] == ["O-1", "O-2"]


def test_a_journal_that_is_all_torn_starts_empty(tmp_path: Path) -> None:
    path = tmp_path / "intents.jsonl"
    path.write_text('{"key":', encoding="utf-8")
    assert len(IntentJournal(path)) == 0
    assert path.read_text(encoding="utf-8") == ""


def test_a_bad_line_in_the_middle_is_an_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "intents.jsonl"
    path.write_text('not json\n{"a": 1}\n', encoding="utf-8")
    with pytest.raises(IntentJournalError, match="line 1 is not an intent"):
        IntentJournal(path)


def _all(path: Path) -> list[Intent]:
    journal = IntentJournal(path)
    found = [journal.by_client_order_id(f"O-{n}") for n in (1, 2)]
    return [i for i in found if i is not None]


def test_an_appended_intent_is_read_back_before_any_sync(tmp_path: Path) -> None:
    """append() writes through to the OS: another reader (a restarted process) sees it."""
    path = tmp_path / "intents.jsonl"
    journal = IntentJournal(path)
    journal.append(intent("O-1"))
    assert IntentJournal(path).by_client_order_id("O-1") == intent("O-1")
    journal.sync()
    journal.close()
