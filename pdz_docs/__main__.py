"""`python -m pdz_docs` runs the command line."""

import sys

from pdz_docs.cli import main

sys.exit(main())
