"""The live node: a NautilusTrader TradingNode on a real venue's clients (issue 12, ADR 0007).

`node.build_fix_node` (the node on the FIX venue's data and execution clients, reconciliation
at start-up), `session.run_live` (the hosted strategy on live bars, the state folder, the
trading state that survives restarts, status.json, clean stops on signals), `status` (what
status.json says and how a dead node is told from a running one), `flatten` (`gauntlet kill
--flatten` inside the node), and the SIGKILL soak's node child (`churn`) and verdict (`soak`).
"""
