"""Archive helpers."""
