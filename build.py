#!/usr/bin/env python3
"""Build the site: `python build.py [build|check] [--content DIR] [--output DIR] ...`."""

import sys

from koosloome_site.cli import main

if __name__ == "__main__":
    sys.exit(main())
