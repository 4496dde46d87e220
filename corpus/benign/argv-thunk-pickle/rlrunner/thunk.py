import base64
import pickle
import sys
import zlib


def main():
    """Run a function that the parent process serialised onto the command line."""
    fn = pickle.loads(zlib.decompress(base64.b64decode(sys.argv[1])))
    fn()


if __name__ == "__main__":
    main()
