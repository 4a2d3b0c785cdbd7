"""`python -m demo [--db PATH] [--communities N --years Y --seed S --out DIR]`: the same as `python -m etl demo`."""

import sys

from etl.__main__ import main

if __name__ == "__main__":
    sys.exit(main(["demo", *sys.argv[1:]]))
