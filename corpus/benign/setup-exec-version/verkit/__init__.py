from .__about__ import __version__  # noqa: F401
