"""Look-alike of urllib3."""
