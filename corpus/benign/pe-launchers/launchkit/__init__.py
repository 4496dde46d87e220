from importlib.resources import files


def launcher(kind="cli", bits=64):
    """The Windows launcher executable copied next to generated console scripts."""
    return files(__name__).joinpath(f"{kind}-{bits}.exe").read_bytes()
