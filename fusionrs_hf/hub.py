"""Pushing built artifacts to the Hub (or any server speaking its protocol)."""

from __future__ import annotations

from pathlib import Path

from huggingface_hub import HfApi

# build bookkeeping stays local; the rejects report and summary travel with the data
DATASET_IGNORE = ["_build/**", "*.tmp"]


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


# Trainer checkpoints and logs stay local; the model, processor, code, card and metrics travel
MODEL_IGNORE = ["checkpoint-*/**", "runs/**", "*.tmp"]


def push_model_folder(folder: str | Path, repo_id: str, private: bool = False, token: str | None = None,
                      commit_message: str = "Upload FusionRS model") -> str:
    """Create the model repo if needed and upload a trained model folder in one commit."""
    folder = Path(folder)
    if not (folder / "config.json").is_file():
        raise FileNotFoundError(f"{folder} has no config.json: not a saved model folder")
    api = HfApi(token=token)
    api.create_repo(repo_id, private=private, exist_ok=True)
    commit = api.upload_folder(repo_id=repo_id, folder_path=str(folder), ignore_patterns=MODEL_IGNORE,
                               commit_message=commit_message)
    return getattr(commit, "commit_url", str(commit))
