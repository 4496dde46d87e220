"""Compatibility shims for older interpreters."""
import sys

PY38 = sys.version_info < (3, 9)


def removeprefix(text, prefix):
    return text[len(prefix):] if text.startswith(prefix) else text
