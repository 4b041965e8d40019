"""Paper trading: the live runtime (TradingNode) with a simulated venue and a replay feed."""

from execution_engine.paper.session import PAPER_WINDOW, PaperConfig, PaperResult, run_paper

__all__ = ["PAPER_WINDOW", "PaperConfig", "PaperResult", "run_paper"]
