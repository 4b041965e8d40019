"""How a Python field name becomes its v20 JSON name.

OANDA spells its names in camelCase but keeps acronyms upper case (`lastTransactionID`,
`tradeIDs`, `unrealizedPL`, `NAV`, `fullVWAP`), which msgspec's `rename="camel"` would turn into
`lastTransactionId`. So the models rename with this function instead.
"""

from __future__ import annotations

_ACRONYMS = {"id": "ID", "ids": "IDs", "pl": "PL", "nav": "NAV", "vwap": "VWAP"}
# Names whose first word is itself an acronym (camelCase would lower-case it).
_WHOLE = {"nav": "NAV"}


def v20_name(field: str) -> str:
    """`last_transaction_id` -> `lastTransactionID`; `nav` -> `NAV`; `id` -> `id`."""
    if field in _WHOLE:
        return _WHOLE[field]
    first, *rest = field.split("_")
    return first + "".join(_ACRONYMS.get(word, word.capitalize()) for word in rest)
