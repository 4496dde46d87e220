"""Release diffing: what changed from one release of a project to the next.

``diff_releases(old, new)`` scans both artifacts, compares their inventories (files, .pth
files, binaries, assets, entry points, metadata) and their findings per file, and re-scores the
new release with *drift* findings for behaviour it is the first to have. See ``drift.py``.
"""

from .compare import BehaviourGroup, Comparison, compare
from .drift import apply_drift, drift_findings
from .engine import Release, ReleaseDiff, diff_releases
from .inventory import FileEntry, Inventory, take_inventory

__all__ = ["BehaviourGroup", "Comparison", "FileEntry", "Inventory", "Release", "ReleaseDiff",
           "apply_drift", "compare", "diff_releases", "drift_findings", "take_inventory"]
