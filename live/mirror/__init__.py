"""The live node's PostgreSQL mirror: every order, fill, position change and account snapshot
copied to the trading tables, and every order action appended to the audit log.

`PostgresMirror` (writer.py) is the event sink to subscribe on the node's message bus
(`TOPICS`); rows.py maps events to rows, audit.py says who/what/why, sql.py writes them.

    mirror = PostgresMirror(dsn, schema, actor="alice")   # before or after the node (migrated
                                                          # to 0006_live_mirror.sql or later)
    node = build_fix_node(...)
    mirror.bind(node.kernel.cache)
    for topic in TOPICS:
        node.kernel.msgbus.subscribe(topic=topic, handler=mirror)
    mirror.start()
    start_node(node)
    mirror.resync(node.kernel.cache)   # what a dead predecessor had queued and not written
    ...
    ...                                # an idle node: mirror.catch_up() on a timer (writer.py)
    stop_node(node)
    mirror.stop(10)                    # MirrorStats: written, pending, overflowed, behind, ...
"""

from live.mirror.audit import ACTOR_TAG, RISK_ENGINE, AuditRow, actor_of
from live.mirror.rows import CacheContents, Lookups, RowMapper
from live.mirror.writer import TOPICS, MirrorStats, PostgresMirror

__all__ = [
    "ACTOR_TAG",
    "RISK_ENGINE",
    "TOPICS",
    "AuditRow",
    "CacheContents",
    "Lookups",
    "MirrorStats",
    "PostgresMirror",
    "RowMapper",
    "actor_of",
]
