"""Shared fixtures: the real data under $FUSIONRS_DATA (default ../shared/data) and small real builds."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

REPO_ROOT = Path(__file__).resolve().parents[1]


def data_root_path() -> Path:
    return Path(os.environ.get("FUSIONRS_DATA", REPO_ROOT.parent / "shared" / "data")).resolve()


@pytest.fixture(scope="session")
def data_root() -> Path:
    root = data_root_path()
    if not (root / "ucm_captions" / "dataset_ucm.json").is_file():
        pytest.fail(f"real data not found under {root}; set FUSIONRS_DATA to the shared data folder")
    return root


@pytest.fixture(scope="session")
def ucm_json(data_root) -> Path:
    return data_root / "ucm_captions" / "dataset_ucm.json"


def write_ucm_subset(ucm_json: Path, indices: list[int], target: Path) -> Path:
    """A Karpathy JSON holding only the chosen UCM entries; its images stay where they are."""
    data = json.loads(ucm_json.read_text())
    subset = {"dataset": data["dataset"], "images": [data["images"][i] for i in indices]}
    target.write_text(json.dumps(subset))
    return target


# UCM-Captions lists 90 images per class with the validation images at positions 80-89 of each
# class: two training and one validation image from each of the 21 classes
UCM_SMALL_INDICES = [base + offset for base in range(0, 1890, 90) for offset in (0, 40, 85)]


@pytest.fixture(scope="session")
def ucm_small_json(tmp_path_factory, ucm_json) -> Path:
    return write_ucm_subset(ucm_json, UCM_SMALL_INDICES, tmp_path_factory.mktemp("ucm-small") / "ucm_small.json")


@pytest.fixture(scope="session")
def ucm_small_dataset(tmp_path_factory, ucm_small_json, ucm_json) -> Path:
    """63 real UCM records (3 of each of the 21 classes; 42 train, 21 validation) built with the
    default translator and captioner: Parquet shards + card."""
    from fusionrs_hf.data import BuildConfig, build_dataset
    from fusionrs_hf.data.build import SourceSpec

    out = tmp_path_factory.mktemp("fusionrs-ucm-small")
    spec = SourceSpec(str(ucm_small_json), image_root=str(ucm_json.parent / "images"))
    summary = build_dataset(BuildConfig(sources=[spec], out_dir=str(out)))
    assert summary.complete and summary.written == len(UCM_SMALL_INDICES)
    return out


@pytest.fixture(autouse=True)
def isolated_datasets_cache(tmp_path_factory, monkeypatch):
    """`load_dataset` caches local folders by folder name; keep each test's loads apart."""
    import datasets

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path_factory.mktemp("hf-datasets-cache"))


def run_without_package(script: str, workdir: Path) -> str:
    """Run `script` in a fresh Python where `fusionrs_hf` cannot be imported (it is installed editable, so
    the import is blocked outright), offline; returns stdout, failing the test with stderr on error.
    This is how a user without the package loads a saved folder with `trust_remote_code=True`."""
    import subprocess
    import sys
    import textwrap

    prelude = textwrap.dedent(f"""
        import sys
        sys.modules["fusionrs_hf"] = None
        sys.path = [p for p in sys.path if p.rstrip("/") not in ("", {str(REPO_ROOT)!r})]
    """)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_MODULES_CACHE": str(workdir / "modules"), "PYTHONPATH": ""}
    result = subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(script)], cwd=workdir, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.fixture
def hub_calls(monkeypatch) -> list:
    """Replaces `fusionrs_hf.hub.HfApi` with a recorder; returns the list of (method, arguments) it saw.
    (The round trip over real HTTP against a Hub server is the Hub tests' job.)"""
    from fusionrs_hf import hub

    calls = []

    class RecordingApi:
        def __init__(self, token=None):
            pass

        def create_repo(self, repo_id, **kwargs):
            calls.append(("create_repo", {"repo_id": repo_id, **kwargs}))

        def upload_folder(self, **kwargs):
            calls.append(("upload_folder", kwargs))
            return f"https://hub.example/{kwargs['repo_id']}/commit/1"

    monkeypatch.setattr(hub, "HfApi", RecordingApi)
    return calls


@pytest.fixture(scope="module")
def hub_server(tmp_path_factory):
    """A Hub-protocol server (tests/hub_server.py) on a free 127.0.0.1 port for this test module; clients reach
    it through `hub_env(hub_server, home)`. Its `unimplemented` list records every request it had no route for."""
    from hub_server import HubServer

    with HubServer(tmp_path_factory.mktemp("hub-server")) as server:
        yield server


def hub_env(server, home: Path) -> dict:
    """Environment for a client process talking to `server` instead of huggingface.co: online (the suite
    runs with HF_HUB_OFFLINE=1), no Xet (uploads take the LFS batch API), a dummy token, no telemetry pings,
    and caches of its own under `home` so nothing is served from an earlier download."""
    return {**os.environ, "HF_ENDPOINT": server.url, "HF_HUB_OFFLINE": "0", "HF_HUB_DISABLE_XET": "1",
            "HF_TOKEN": "hf_test_token", "HF_HOME": str(home / "hf-home"),
            "HF_DATASETS_CACHE": str(home / "datasets-cache"), "HF_MODULES_CACHE": str(home / "modules"),
            "HF_HUB_DISABLE_TELEMETRY": "1", "TRANSFORMERS_OFFLINE": "0", "OMP_NUM_THREADS": "1"}
