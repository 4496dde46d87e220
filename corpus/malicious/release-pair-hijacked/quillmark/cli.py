import sys

from .render import render_file


def main(argv=None):
    for path in (argv if argv is not None else sys.argv[1:]):
        print(render_file(path))
    return 0
