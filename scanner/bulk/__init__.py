"""Bulk research scans: many artifacts, every core (or a Dask cluster), one resumable store.

- ``sources``: what to scan (folder tree, bandersnatch mirror, listing file).
- ``store``: the SQLite results store and its documented layout.
- ``worker`` / ``pool`` / ``dask_backend``: where the scanning happens.
- ``runner``: one run from listing to stored results (``run_bulk``).
- ``report``: summaries of a store, as text and as HTML with charts.
- ``cli``: ``distscan bulk``.
"""

from .runner import BulkConfig, RunReport, run_bulk

__all__ = ["BulkConfig", "RunReport", "run_bulk"]
