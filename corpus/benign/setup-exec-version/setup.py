from pathlib import Path

from setuptools import find_packages, setup

about = {}
exec(Path("verkit/__about__.py").read_text(), about)

setup(name="verkit", version=about["__version__"], packages=find_packages())
