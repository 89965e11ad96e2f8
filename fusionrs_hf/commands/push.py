"""`fusionrs push`: upload a finished folder (dataset, model or Space) to the Hub."""

from __future__ import annotations

import sys

# which folders each kind expects, for the help text; the hub functions check them
KINDS = {
    "dataset": "a `fusionrs build` output (Parquet shards + README.md dataset card)",
    "clip": "a `fusionrs train-clip` output (model, processor, code, card)",
    "vlm": "a `fusionrs train-vlm` output (model, processor, code, card)",
    "translator": "a `fusionrs train-translator` output (model, image processor, code, card)",
    "space": "a Gradio Space folder such as spaces/ (README.md with the Space's YAML, app.py, requirements.txt)",
}


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "push", help="push a dataset, model or Space folder to the Hub",
        description="Create the Hub repo if needed and upload the folder in one commit. Kinds: "
                    + "; ".join(f"{kind}: {what}" for kind, what in KINDS.items())
                    + ". The endpoint is HF_ENDPOINT (default huggingface.co); the token is HF_TOKEN or the one "
                      "saved by `hf auth login`.")
    parser.add_argument("--kind", required=True, choices=sorted(KINDS))
    parser.add_argument("--folder", required=True, help="the folder to upload")
    parser.add_argument("--repo-id", required=True, help="namespace/name of the Hub repo")
    parser.add_argument("--private", action="store_true", help="create the repo private (when it is new)")
    parser.add_argument("--token", help="Hub token (default: HF_TOKEN or the saved login)")
    parser.set_defaults(func=run)


def run(args) -> int:
    from huggingface_hub.errors import HfHubHTTPError

    from ..hub import push_dataset_folder, push_model_folder, push_space_folder

    common = {"private": args.private, "token": args.token}
    try:
        if args.kind == "dataset":
            url = push_dataset_folder(args.folder, args.repo_id, **common)
        elif args.kind == "space":
            url = push_space_folder(args.folder, args.repo_id, **common)
        else:
            names = {"clip": "FusionRSCLIPModel", "vlm": "FusionRSVLM", "translator": "FusionRS translator"}
            url = push_model_folder(args.folder, args.repo_id, commit_message=f"Upload {names[args.kind]}", **common)
    except HfHubHTTPError as err:  # the Hub's answer (no token, no write access, rejected metadata) says why
        print(f"fusionrs push: the Hub refused the upload: {err}", file=sys.stderr)
        return 1
    print(f"pushed {args.folder} to {url}")
    return 0
