"""A harmless-looking proxy package."""
__version__ = "1.8.8"
