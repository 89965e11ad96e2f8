"""Pushing built artifacts to the Hub (or any server speaking its protocol), and the evaluation-results
metadata (`model-index`) their model cards carry there.

Each `push_*_folder` creates the repo if needed and uploads the folder in one commit with
`HfApi.upload_folder`; `HF_ENDPOINT` points all of them at another Hub-compatible server.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from huggingface_hub import EvalResult, HfApi, ModelCard

# build bookkeeping stays local; the rejects report and summary travel with the data
DATASET_IGNORE = ["_build/**", "*.tmp"]
# Trainer checkpoints and logs stay local; the model, processor, code, card and metrics travel
MODEL_IGNORE = ["checkpoint-*/**", "runs/**", "*.tmp"]
# what running the app locally leaves behind
SPACE_IGNORE = ["__pycache__/**", "*.pyc", "flagged/**", ".gradio/**", "*.tmp"]


def push_dataset_folder(folder: str | Path, repo_id: str, private: bool = False, token: str | None = None) -> str:
    """Create the dataset repo if needed and upload the Parquet shards, card and reports in one commit."""
    folder = Path(folder)
    if not (folder / "README.md").is_file():
        raise FileNotFoundError(f"{folder} has no README.md dataset card: finish the build before pushing")
    api = HfApi(token=token)
    api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
    commit = api.upload_folder(repo_id=repo_id, repo_type="dataset", folder_path=str(folder),
                               ignore_patterns=DATASET_IGNORE, commit_message="Upload FusionRS dataset")
    return getattr(commit, "commit_url", str(commit))


def push_model_folder(folder: str | Path, repo_id: str, private: bool = False, token: str | None = None,
                      commit_message: str = "Upload FusionRS model") -> str:
    """Create the model repo if needed and upload a trained model folder in one commit.

    The model card's metadata is checked first (a malformed `model-index` fails here rather than on the
    Hub); a card without evaluation results is pushed with a warning."""
    folder = Path(folder)
    if not (folder / "config.json").is_file():
        raise FileNotFoundError(f"{folder} has no config.json: not a saved model folder")
    if not card_eval_results(folder):
        what = "carries no evaluation results (model-index)" if (folder / "README.md").is_file() else "is missing"
        warnings.warn(f"{folder}/README.md {what}: the Hub page will show no metrics. The trainers write the card "
                      "with the measured metrics when they evaluate (keep --eval-split).", stacklevel=2)
    api = HfApi(token=token)
    api.create_repo(repo_id, private=private, exist_ok=True)
    commit = api.upload_folder(repo_id=repo_id, folder_path=str(folder), ignore_patterns=MODEL_IGNORE,
                               commit_message=commit_message)
    return getattr(commit, "commit_url", str(commit))


def push_space_folder(folder: str | Path, repo_id: str, private: bool = False, token: str | None = None,
                      sdk: str = "gradio", commit_message: str = "Upload FusionRS Space") -> str:
    """Create the Space repo (Gradio SDK by default) if needed and upload the app folder in one commit."""
    folder = Path(folder)
    missing = [name for name in ("README.md", "app.py") if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{folder} is not a Space folder: no {' or '.join(missing)} "
                                "(the README.md's YAML configures the Space, app.py runs it)")
    api = HfApi(token=token)
    api.create_repo(repo_id, repo_type="space", space_sdk=sdk, private=private, exist_ok=True)
    commit = api.upload_folder(repo_id=repo_id, repo_type="space", folder_path=str(folder),
                               ignore_patterns=SPACE_IGNORE, commit_message=commit_message)
    return getattr(commit, "commit_url", str(commit))


# ---------------------------------------------------------------------------------------------------------------
# evaluation results in model cards (the Hub's `model-index` metadata)
# ---------------------------------------------------------------------------------------------------------------

def card_eval_results(folder: str | Path) -> list[EvalResult]:
    """The evaluation results in `folder/README.md`'s metadata ([] when there is no card or none are declared).

    Raises ValueError when the metadata cannot be parsed the way the Hub would (e.g. a malformed
    `model-index`)."""
    path = Path(folder) / "README.md"
    if not path.is_file():
        return []
    try:
        card = ModelCard.load(path, ignore_metadata_errors=False)
    except ValueError as err:
        raise ValueError(f"{path}: invalid model card metadata: {err}") from err
    return list(card.data.eval_results or [])


def write_eval_results(card_path: str | Path, model_name: str, eval_results: list[EvalResult]) -> Path:
    """Put `eval_results` into the card's YAML front matter as `model-index` (what the Hub shows as the
    model's evaluation results); the card's text is kept as it is."""
    card = ModelCard.load(card_path, ignore_metadata_errors=False)
    card.data.model_name = model_name
    card.data.eval_results = eval_results or None
    card.save(str(card_path))
    return Path(card_path)


# the retrieval directions that go into the metadata (all of them are in the card's table)
RETRIEVAL_AGGREGATES = (("mR", "mR (IR->text, text->IR, RGB->IR, IR->RGB)"), ("rgb_text_mR", "RGB<->text mR"),
                        ("mR_all", "mR, all eight directions"))
CAPTION_METRICS = (("BLEU-4", "bleu"), ("METEOR", "meteor"), ("ROUGE-L", "rouge"), ("CIDEr", "cider"))


def retrieval_eval_results(metrics: dict, dataset: str, split: str) -> list[EvalResult]:
    """`eval-retrieval` metrics as Hub evaluation results: the mean recalls and R@1 of every direction."""
    common = {"task_type": "zero-shot-image-classification", "task_name": "RGB / IR / text retrieval",
              "dataset_type": dataset, "dataset_name": f"FusionRS ({dataset})", "dataset_split": split}
    results = [EvalResult(metric_type="recall", metric_name=label, metric_value=float(metrics[key]), **common)
               for key, label in RETRIEVAL_AGGREGATES if metrics.get(key) is not None]
    for key, value in metrics.items():
        if isinstance(value, dict) and "R@1" in value:
            results.append(EvalResult(metric_type="recall", metric_name=f"{key} R@1",
                                      metric_value=float(value["R@1"]), **common))
    return results


def captioning_eval_results(metrics: dict, dataset: str, split: str) -> list[EvalResult]:
    """`eval-caption` metrics as Hub evaluation results: BLEU-4, METEOR, ROUGE-L, CIDEr of every task."""
    results = []
    for task, scores in metrics.items():
        if not (isinstance(scores, dict) and "CIDEr" in scores):
            continue  # e.g. the modality-use check
        for name, metric_type in CAPTION_METRICS:
            if name in scores:
                results.append(EvalResult(
                    task_type="image-text-to-text", task_name=task, dataset_type=dataset,
                    dataset_name=f"FusionRS ({dataset})", dataset_split=split, metric_type=metric_type,
                    metric_name=f"{task} {name}", metric_value=float(scores[name])))
    return results
