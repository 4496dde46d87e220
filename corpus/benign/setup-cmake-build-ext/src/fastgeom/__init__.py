from ._core import area  # noqa: F401
