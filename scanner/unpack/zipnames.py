"""Zips whose names claim to be UTF-8 but are not.

zipfile refuses the whole archive when one name flagged UTF-8 does not decode, which would
turn a hostile name into an unscannable artifact. Clearing the flag on those names (in the
central directory and the local headers alike) lets zipfile read them as cp437, as many
unpackers do, while the caller reports the names as undecodable.
"""

from __future__ import annotations

import struct

_CENTRAL = b"PK\x01\x02"
_LOCAL = b"PK\x03\x04"
_UTF8_FLAG = 0x800
# (signature, offset of the flags field, offset of the name length, offset of the name)
_HEADERS = ((_CENTRAL, 8, 28, 46), (_LOCAL, 6, 26, 30))


def relax_utf8_names(data: bytes) -> tuple[bytes, list[bytes]]:
    """``data`` with the UTF-8 flag cleared where the name is not UTF-8, and those names."""
    patched = bytearray(data)
    bad: list[bytes] = []
    for signature, flags_at, nlen_at, name_at in _HEADERS:
        idx = data.find(signature)
        while idx >= 0:
            if idx + name_at <= len(data):
                flags = struct.unpack_from("<H", data, idx + flags_at)[0]
                nlen = struct.unpack_from("<H", data, idx + nlen_at)[0]
                name = data[idx + name_at: idx + name_at + nlen]
                if flags & _UTF8_FLAG and not _is_utf8(name):
                    struct.pack_into("<H", patched, idx + flags_at, flags & ~_UTF8_FLAG)
                    if signature == _CENTRAL:
                        bad.append(name)
            idx = data.find(signature, idx + 1)
    return bytes(patched), bad


def _is_utf8(name: bytes) -> bool:
    try:
        name.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
