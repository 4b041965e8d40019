"""The embedded service stack (`gauntlet up`): real servers, no root, no Docker."""
