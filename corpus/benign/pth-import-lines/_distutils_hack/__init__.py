import os
import sys


def enabled():
    return os.environ.get("SETUPTOOLS_USE_DISTUTILS", "local") == "local"


def add_shim():
    if enabled() and "distutils" not in sys.modules:
        sys.meta_path.insert(0, DistutilsMetaFinder())


class DistutilsMetaFinder:
    def find_spec(self, fullname, path, target=None):
        return None
