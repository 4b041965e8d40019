"""execution_engine."""
