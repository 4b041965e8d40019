"""Test kit shipped with research: deliberately broken strategies that prove the checks work."""
