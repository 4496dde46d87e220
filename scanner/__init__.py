"""distscan: a static malicious-code scanner for Python package artifacts.

It never executes, imports, builds or installs what it scans, and never writes archive
members to disk: it reads bytes.
"""

__version__ = "0.1.0"
