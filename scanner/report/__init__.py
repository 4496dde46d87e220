"""Output formats. Each takes finished ScanResults and returns or writes text."""
