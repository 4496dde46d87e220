// Commercial obfuscator runtimes and hand-made obfuscation seen in PyPI malware.

rule obfuscator_pyarmor
{
    meta:
        id = "content.obfuscation.pyarmor"
        category = "obfuscation"
        severity = "medium"
        data_severity = "low"
        confidence = "high"
        description = "PyArmor / pytransform protected code: the real logic cannot be reviewed; common in stealers, also used by some commercial packages"
        reference = "https://pyarmor.readthedocs.io/; THREATS.md technique 9"
        applies_to = "any"
    strings:
        $a = "__pyarmor__"
        // The runtime imported or called, not its name in a detector's list or a comment.
        $b = /\n[ \t]*(from|import)[ \t]+\.?pyarmor_runtime/
        $f = "pyarmor_runtime()"
        $c = "from pytransform import"
        $d = "__pyarmor_enter"
        $e = "PY_PYARMOR"
    condition:
        any of them
}

rule obfuscation_builtins_from_repr
{
    meta:
        id = "content.obfuscation.builtins-from-repr"
        category = "obfuscation"
        severity = "high"
        data_severity = "medium"
        confidence = "high"
        description = "Builtin names assembled from characters of other objects' repr (getattr(__builtins__, oct.__str__()[...] ...)): hides which functions the code calls"
        reference = "typosquat wave of aiohttp look-alikes (over 600 samples in the development set)"
        applies_to = "code"
    strings:
        $a = /getattr\(__builtins__,\s*(oct|hex|chr|ord|copyright|credits|license|str|int|bool)\.__str__\(\)\[/
        $b = /(oct|hex|copyright|credits)\.__str__\(\)\[-?[0-9(]/
    condition:
        $a or #b > 5
}

rule obfuscation_exec_decoded
{
    meta:
        id = "content.obfuscation.exec-decoded"
        category = "execution"
        severity = "high"
        data_severity = "medium"
        confidence = "high"
        description = "exec/eval applied directly to a decoding call (base64, zlib, marshal, codecs, bytes.fromhex): runs code that cannot be read in the source"
        reference = "THREATS.md technique 3"
        applies_to = "code"
    strings:
        $a = /\b(exec|eval)\s*\(\s*(base64\.b(64|32|85)decode|zlib\.decompress|marshal\.loads|lzma\.decompress|bz2\.decompress|codecs\.decode|bytes\.fromhex|__import__\(\s*['"](base64|zlib|marshal|lzma|codecs)['"]\))/
    condition:
        $a
}

rule obfuscation_hidden_after_spaces
{
    meta:
        id = "content.obfuscation.hidden-after-spaces"
        category = "obfuscation"
        severity = "high"
        data_severity = "medium"
        confidence = "high"
        description = "Code pushed far to the right by hundreds of spaces so that editors and diff views do not show it"
        reference = "W4SP stealer wave 2022 (payload after hundreds of spaces)"
        applies_to = "code"
    strings:
        $a = /[ \t]{150}[;,]?\s*(__import__|exec\s*\(|eval\s*\(|import\s+[a-z])/
    condition:
        $a
}
