"""Build the default plan into output/: a thin wrapper around `pdz build`."""

import sys

from pdz_docs.cli import main

if __name__ == "__main__":
    sys.exit(main(["build", *sys.argv[1:]]))
