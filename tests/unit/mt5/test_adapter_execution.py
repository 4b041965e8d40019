"""The execution client's rejection reasons for trade server return codes."""

from __future__ import annotations

from execution_engine.adapters.mt5.execution import retcode_text


def test_a_retcode_reads_as_its_number_and_metatraders_text() -> None:
    assert retcode_text(10019) == "10019 there is not enough money to complete the request"
    assert retcode_text(10006, "request rejected") == "10006 request rejected"


def test_the_trade_servers_own_comment_follows_when_it_says_more() -> None:
    assert retcode_text(10006, "dealer says no") == "10006 request rejected: dealer says no"
    assert retcode_text(10006, "  ") == "10006 request rejected"


def test_the_autotrading_refusal_says_what_to_switch_on() -> None:
    assert "switch on 'Algo Trading'" in retcode_text(10027)


def test_an_unknown_retcode_is_named_as_such() -> None:
    assert retcode_text(10999) == "10999 unknown trade server return code"
