"""`fusionrs`: the command-line entry point. Each subcommand lives in `fusionrs_hf/commands/`,
parses its arguments and calls the library."""

from __future__ import annotations

import argparse
import importlib
import sys

# one module per subcommand (or family of subcommands), each with `register(subparsers)`
COMMAND_MODULES = [
    "fusionrs_hf.commands.build",
    "fusionrs_hf.commands.claims",
    "fusionrs_hf.commands.clip",
    "fusionrs_hf.commands.vlm",
    "fusionrs_hf.commands.translator",
    "fusionrs_hf.commands.space",
    "fusionrs_hf.commands.quickstart",
    "fusionrs_hf.commands.push",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fusionrs", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module in COMMAND_MODULES:
        importlib.import_module(module).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from .data.build import BuildError
    from .data.sources import SourceError

    try:
        return args.func(args)
    except (SourceError, BuildError, FileNotFoundError, ValueError) as err:
        print(f"fusionrs {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
