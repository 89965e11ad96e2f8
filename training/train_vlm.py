"""Thin launcher for `accelerate launch` / `torchrun`: the same arguments as `fusionrs train-vlm`."""

import sys

from fusionrs_hf.cli import main

if __name__ == "__main__":
    sys.exit(main(["train-vlm", *sys.argv[1:]]))
