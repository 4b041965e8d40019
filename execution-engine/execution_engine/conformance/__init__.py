"""The venue conformance kit (issue 12, item 5): one suite of cards that any venue adapter
must pass, run through the real NautilusTrader path (a TradingNode with the venue's data and
execution clients and a card-runner strategy, desk.py).

The cards are those of NautilusTrader's Execution Testing Spec
(docs/developer_guide/spec_exec_testing.md, https://nautilustrader.io/docs/latest/
developer_guide/spec_exec_testing/): groups 1-5 (market, limit and its time-in-force options,
stop, modification, cancellation) and group 8 (rejection), under the spec's TC-E ids and
names, plus Gauntlet's own GC-* cards: venue-side rejections, a stop that triggers, and the
crash/reconnect cards that need a simulator's fault controls.

venue.py (what the kit needs of a venue: the `VenueUnderTest` protocol), fix_venue.py (the
FIX adapter's: a broker endpoint, or the bundled simulator), context.py (what a card runs
with), cards_*.py (the cards), catalog.py (all of them, in run order), runner.py
(`run_kit`), results.py (the report, also as JSON). docs/conformance.md lists every card.
"""
