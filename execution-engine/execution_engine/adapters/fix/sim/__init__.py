"""The FIX broker simulator: a QuickFIX acceptor over TLS that plays a broker.

quotes.py (bars → bid/ask quotes), book.py (orders, matching, the broker's rules),
ledger.py (every order and fill, also as JSON lines), faults.py (faults on demand),
decode.py / encode.py (client requests in, reports out), broker.py (the QuickFIX
application), server.py (start, replay, stop). `gauntlet sim fix` runs it.
"""
