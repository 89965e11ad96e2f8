"""`fusionrs space`: launch the FusionRS Gradio Space locally."""

from __future__ import annotations

import os


def register(subparsers) -> None:
    parser = subparsers.add_parser("space", help="launch the Gradio Space locally")
    parser.add_argument("--clip", default=os.environ.get("FUSIONRS_CLIP"), help="FusionRSCLIP folder or Hub id")
    parser.add_argument("--vlm", default=os.environ.get("FUSIONRS_VLM"), help="FusionRSVLM folder or Hub id")
    parser.add_argument("--translator", default=os.environ.get("FUSIONRS_TRANSLATOR"),
                        help="translator name, folder or Hub id (default: thermal-heuristic)")
    parser.add_argument("--captions", default=os.environ.get("FUSIONRS_CAPTIONS"),
                        help="FusionRS dataset (folder or Hub id) whose scene captions are the retrieval bank")
    parser.add_argument("--examples", nargs="*", help="example images to offer")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7860)
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..space.app import build_app
    from ..space.demo import FusionRSDemo, captions_from_dataset

    demo = FusionRSDemo(clip=args.clip, vlm=args.vlm, translator=args.translator,
                        caption_bank=captions_from_dataset(args.captions) if args.captions else None)
    build_app(demo, examples=args.examples).launch(server_name=args.host, server_port=args.port)
    return 0
