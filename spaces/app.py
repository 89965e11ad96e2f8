"""The FusionRS Space. Models come from the environment (a local folder or a Hub id):
FUSIONRS_CLIP, FUSIONRS_VLM, FUSIONRS_TRANSLATOR (default: the builder's thermal-heuristic) and
FUSIONRS_CAPTIONS (a FusionRS dataset whose scene captions form the retrieval bank)."""

import os

# the project's trained models and dataset on the Hub, unless the Space settings say otherwise
os.environ.setdefault("FUSIONRS_CLIP", "fusionrs-hf/fusionrs-clip-small")
os.environ.setdefault("FUSIONRS_VLM", "fusionrs-hf/fusionrs-vlm-small")
os.environ.setdefault("FUSIONRS_CAPTIONS", "fusionrs-hf/fusionrs-ucm")

from fusionrs_hf.space.app import build_app  # noqa: E402
from fusionrs_hf.space.demo import demo_from_env  # noqa: E402

examples_dir = os.environ.get("FUSIONRS_EXAMPLES")
examples = sorted(os.path.join(examples_dir, f) for f in os.listdir(examples_dir))[:6] if examples_dir else None
app = build_app(demo_from_env(), examples=examples)

if __name__ == "__main__":
    app.launch(server_name=os.environ.get("GRADIO_SERVER_NAME", "0.0.0.0"))
