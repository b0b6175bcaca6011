"""Start the Studio app: `python main.py` (what `make run` does). Arguments are those of `studio gui`."""

import sys

from studio.cli.main import main

if __name__ == "__main__":
    raise SystemExit(main(["gui", *sys.argv[1:]]))
