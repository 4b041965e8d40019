"""The live node: a NautilusTrader TradingNode on a real venue's clients (issue 12).

Built so far: `node.build_fix_node`, a node on the FIX venue's data and execution clients
with reconciliation at start-up, and the helpers that start, wait on and stop it. The
supervisor, crash-safe state and the strategy host on live bars come with the rest of
issue 12.
"""
