"""Where ``distscan scan`` finds artifacts besides local files: releases on a package index
(``pypi:NAME[==VERSION]``), requirements files and lock files.

Modules: index (a small client for the simple API), specs (``pypi:`` target specs),
requirements (requirements.txt), locks (uv.lock and pylock.toml), remote (what to fetch for
each of them), scanning (fetch, check hashes, scan, delete; with the verdict cache).
"""

from .index import (
    DEFAULT_INDEX_URL,
    FetchError,
    HashMismatch,
    IndexClient,
    IndexUnavailable,
    NotFound,
    Release,
    SourceError,
)

__all__ = ["DEFAULT_INDEX_URL", "FetchError", "HashMismatch", "IndexClient", "IndexUnavailable",
           "NotFound", "Release", "SourceError"]
