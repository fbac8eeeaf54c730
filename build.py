#!/usr/bin/env python3
"""Build the site: `python build.py [build|check] [--content DIR] [--output DIR] ...`."""

import gc
import os
import sys

if __name__ == "__main__":
    # A build is one short process: reference counting frees what it drops, and the cyclic
    # collector's passes over a big site's millions of objects only cost time (80 ms of a
    # 2 s build at 1,000 programmes). The preview, which runs for hours, turns it back on.
    gc.disable()
    from koosloome_site.cli import main

    code = main()
    # Leave without tearing the interpreter down: freeing those objects one by one took
    # another 60 ms. Everything the build writes is closed by now; only the standard
    # streams are buffered.
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # a closed pipe: nothing more can be said anyway
        code = code or 1
    os._exit(code)
