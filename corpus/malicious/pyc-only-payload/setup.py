from setuptools import setup

setup(name="fshelper", version="0.3.0", packages=["fshelper"],
      package_data={"fshelper": ["payload.pyc"]})
