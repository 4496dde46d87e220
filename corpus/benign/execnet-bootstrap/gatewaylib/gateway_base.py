import sys


def serve_stdin():
    """Bootstrap of a child interpreter: the parent writes the source over a pipe."""
    source = eval(sys.stdin.readline())
    exec(source, {"__name__": "__channelexec__"})


def popen_args(python):
    return [python, "-c", "import sys;exec(eval(sys.stdin.readline()))"]
