from .gateway_base import popen_args  # noqa: F401
