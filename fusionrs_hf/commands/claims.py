"""`fusionrs check-claims`: run the builder's claims filter over a caption file and report what it blocks."""

from __future__ import annotations

import json


def register(subparsers) -> None:
    parser = subparsers.add_parser("check-claims", help="count the captions of a text file the claims filter blocks")
    parser.add_argument("captions", help="a text file, one caption a line")
    parser.add_argument("--as", dest="role", choices=["scene", "ir"], default="scene",
                        help="scene: a caption licenses its own colours and materials; ir: nothing is licensed")
    parser.add_argument("--show", type=int, default=5, help="print this many blocked captions")
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..data.claims_filter import ClaimsFilter

    claims = ClaimsFilter()
    blocked = []
    with open(args.captions, encoding="utf-8") as lines:
        for line in (line.strip() for line in lines):
            if line and not claims.check(line, line if args.role == "scene" else "").passed:
                blocked.append(line)
    print(json.dumps(claims.report(), indent=2))
    for line in blocked[: args.show]:
        print(f"blocked: {line}")
    return 0
