"""Thin launcher for `accelerate launch` / `torchrun`: the same arguments as `fusionrs train-clip`."""

import sys

from fusionrs_hf.cli import main

if __name__ == "__main__":
    sys.exit(main(["train-clip", *sys.argv[1:]]))
