"""Placeholder: the real agent is not part of the corpus."""
