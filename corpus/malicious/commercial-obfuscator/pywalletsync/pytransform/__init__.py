"""Stand-in for the PyArmor runtime loader (the real one loads a native _pytransform library)."""


def pyarmor_runtime(path=None, suffix="", advanced=0):
    return None
