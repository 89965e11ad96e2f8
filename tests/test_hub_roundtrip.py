"""The Hub round trip over real HTTP: `fusionrs push` uploads a real FusionRS dataset, a tiny FusionRSCLIP, a
tiny FusionRSVLM and the Space to the Hub-protocol server of tests/hub_server.py, and the unchanged
`datasets` / `transformers` / `huggingface_hub` clients read them back from it, with the package and without
it (`trust_remote_code=True`).

Every client runs in a subprocess whose environment points it at the server (`conftest.hub_env`):
huggingface_hub reads HF_ENDPOINT and HF_HUB_OFFLINE when it is imported, and the suite itself runs offline.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from conftest import REPO_ROOT, hub_env, run_without_package

NAMESPACE = "fusionrs-test"
REPOS = {"dataset": f"{NAMESPACE}/fusionrs-ucm-small", "clip": f"{NAMESPACE}/fusionrs-clip-tiny",
         "vlm": f"{NAMESPACE}/fusionrs-vlm-tiny", "space": f"{NAMESPACE}/fusionrs-space"}
# the numbers the cards carry stand in for measured ones: the round trip is about the metadata's path
CLIP_METRICS = {"rgb_to_text": {"R@1": 9.5, "R@5": 33.3, "R@10": 52.4}, "ir_to_text": {"R@1": 4.8, "R@5": 23.8, "R@10": 42.9},
                "mR": 30.1, "rgb_text_mR": 35.2, "mR_all": 31.0}
VLM_METRICS = {task: {"BLEU-1": 40.0, "BLEU-2": 30.0, "BLEU-3": 20.0, "BLEU-4": 10.0, "METEOR": 15.0, "ROUGE-L": 35.0,
                      "CIDEr": 25.0} for task in ("rgb_caption", "ir_caption")}


def run_client(script: str, env: dict, cwd: Path) -> str:
    """Run `script` in a fresh Python with the package importable and `env`; returns stdout."""
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], cwd=cwd, env=env, capture_output=True,
                            text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-4000:]
    return result.stdout


def record_digest(split) -> list:
    """Every record of a split with its images reduced to (is PIL, mode, size, sha256 of the pixels)."""
    from PIL import Image

    rows = []
    for record in split:
        row = {}
        for key, value in record.items():
            if key in ("rgb", "ir"):
                row[key] = [isinstance(value, Image.Image), value.mode, list(value.size),
                            hashlib.sha256(value.tobytes()).hexdigest()]
            else:
                row[key] = value
        rows.append(row)
    return json.loads(json.dumps(rows, default=str))


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("hub-roundtrip")


@pytest.fixture(scope="module")
def model_folders(workdir) -> dict:
    """Tiny CLIP and VLM (as tests/test_*_model.py build them) saved with their cards, fixed inputs and the
    outputs the originals give on them."""
    from clip_helpers import tiny_inputs as clip_inputs
    from clip_helpers import tiny_model as clip_model
    from vlm_helpers import tiny_inputs as vlm_inputs
    from vlm_helpers import tiny_model as vlm_model
    from vlm_helpers import tiny_processor

    from fusionrs_hf.training import clip as clip_training
    from fusionrs_hf.training import vlm as vlm_training

    common = {"data": REPOS["dataset"], "preset": "tiny", "lora": False, "train_records": 42, "steps": 2,
              "batch_size": 8, "epochs": 1, "learning_rate": 1e-3, "train_seconds": 1.0, "train_loss": 4.2,
              "eval_split": "validation"}
    clip, clip_dir = clip_model().eval(), workdir / "clip"
    clip.save_pretrained(clip_dir)
    clip_training.write_model_card(str(clip_dir), {**common, "mode": "trimodal", "init_from_clip": None,
                                                   "metrics": CLIP_METRICS})
    torch.save(clip_inputs(), workdir / "clip_inputs.pt")
    with torch.no_grad():
        torch.save(clip(**clip_inputs()).logits_per_rgb_ir, workdir / "clip_expected.pt")

    vlm, vlm_dir = vlm_model(), workdir / "vlm"
    vlm.save_pretrained(vlm_dir)
    tiny_processor().save_pretrained(vlm_dir)
    vlm_training.write_model_card(str(vlm_dir), {
        **common, "vision_from": None, "language_from": None, "seed": 0, "mix": {"rgb_caption": 1},
        "train_rows_per_epoch": 42, "augment": True, "on_gpu": False, "num_parameters": vlm.num_parameters(),
        "metrics": VLM_METRICS})
    torch.save(vlm_inputs(), workdir / "vlm_inputs.pt")
    expected = vlm.generate(**vlm_inputs(), max_new_tokens=4, min_new_tokens=4, do_sample=False, pad_token_id=0)
    return {"clip": clip_dir, "vlm": vlm_dir, "vlm_generated": expected.tolist()}


@pytest.fixture(scope="module")
def pushed(hub_server, ucm_small_dataset, model_folders, workdir) -> str:
    """`fusionrs push` of all four kinds, in one client process; returns what it printed."""
    folders = {"dataset": ucm_small_dataset, "clip": model_folders["clip"], "vlm": model_folders["vlm"],
               "space": REPO_ROOT / "spaces"}
    pushes = [["push", "--kind", kind, "--folder", str(folder), "--repo-id", REPOS[kind]] for kind, folder in folders.items()]
    return run_client(f"""
        from fusionrs_hf.cli import main
        for argv in {pushes!r}:
            assert main(argv) == 0, argv
    """, hub_env(hub_server, workdir), workdir)


def test_push_uploads_every_kind_with_lfs_for_weights_and_shards(pushed, hub_server, ucm_small_dataset):
    assert pushed.count("pushed ") == 4
    store = hub_server.store
    dataset = store.repos[("dataset", REPOS["dataset"])].commits[-1].files
    local = {p.relative_to(ucm_small_dataset).as_posix() for p in ucm_small_dataset.rglob("*") if p.is_file()}
    assert set(dataset) == {".gitattributes"} | {p for p in local if not p.startswith("_build/")}
    shards = [path for path in dataset if path.endswith(".parquet")]
    assert shards and all(dataset[path].lfs for path in shards) and not dataset["README.md"].lfs
    for kind in ("clip", "vlm"):
        files = store.repos[("model", REPOS[kind])].commits[-1].files
        assert files["model.safetensors"].lfs and not files["config.json"].lfs
        assert any(path.startswith("modeling_fusionrs_") for path in files)  # the code for trust_remote_code
    assert store.repos[("space", REPOS["space"])].sdk == "gradio"
    # with Xet off, large files went through the LFS batch API and a PUT of their bytes
    assert f"POST /datasets/{REPOS['dataset']}.git/info/lfs/objects/batch" in hub_server.calls
    assert f"POST /{REPOS['clip']}.git/info/lfs/objects/batch" in hub_server.calls
    assert sum(call.startswith("PUT /lfs-objects/") for call in hub_server.calls) >= len(shards) + 2
    assert not hub_server.unimplemented


def test_load_dataset_from_the_hub_gives_the_same_records_with_both_images(pushed, hub_server, ucm_small_dataset,
                                                                         workdir):
    import datasets



    script = textwrap.dedent(f"""
        import hashlib, json
        import datasets

        ds = datasets.load_dataset({REPOS["dataset"]!r})
    """) + inspect.getsource(record_digest) + "\nprint(json.dumps({split: record_digest(ds[split]) for split in ds}))\n"
    out = run_client(script, hub_env(hub_server, workdir / "dataset-client"), workdir)
    from_hub = json.loads(out.strip().splitlines()[-1])
    local = datasets.load_dataset(str(ucm_small_dataset))
    assert sorted(from_hub) == ["train", "validation"]
    for split in local:
        assert from_hub[split] == record_digest(local[split])
    first = from_hub["train"][0]
    assert first["rgb"][:2] == [True, "RGB"] and first["ir"][:2] == [True, "L"] and first["rgb"][2] == first["ir"][2]
    assert not hub_server.unimplemented


def test_models_load_from_the_hub_with_the_package(pushed, hub_server, model_folders, workdir):
    out = run_client(f"""
        import json, torch
        from huggingface_hub import ModelCard
        from transformers import AutoModel, AutoModelForImageTextToText, AutoProcessor
        from fusionrs_hf.models import FusionRSCLIPModel, FusionRSVLMForConditionalGeneration

        clip = AutoModel.from_pretrained({REPOS["clip"]!r}).eval()
        assert type(clip) is FusionRSCLIPModel, type(clip)
        with torch.no_grad():
            torch.save(clip(**torch.load({str(workdir / "clip_inputs.pt")!r})).logits_per_rgb_ir,
                       {str(workdir / "clip_from_hub.pt")!r})
        vlm = AutoModelForImageTextToText.from_pretrained({REPOS["vlm"]!r}).eval()
        assert type(vlm) is FusionRSVLMForConditionalGeneration, type(vlm)
        processor = AutoProcessor.from_pretrained({REPOS["vlm"]!r})
        generated = vlm.generate(**torch.load({str(workdir / "vlm_inputs.pt")!r}), max_new_tokens=4,
                                 min_new_tokens=4, do_sample=False, pad_token_id=0)
        cards = {{kind: [[r.metric_name, r.metric_value, r.dataset_type, r.dataset_split]
                          for r in ModelCard.load(repo).data.eval_results]
                 for kind, repo in (("clip", {REPOS["clip"]!r}), ("vlm", {REPOS["vlm"]!r}))}}
        print(json.dumps({{"processor": type(processor).__name__, "generated": generated.tolist(), "cards": cards}}))
    """, hub_env(hub_server, workdir / "model-client"), workdir)
    result = json.loads(out.strip().splitlines()[-1])
    torch.testing.assert_close(torch.load(workdir / "clip_from_hub.pt"), torch.load(workdir / "clip_expected.pt"))
    assert result["generated"] == model_folders["vlm_generated"]
    assert result["processor"] == "FusionRSVLMProcessor"
    # the cards' evaluation results (model-index) made it through, naming the dataset repo and split
    clip_results = {name: (value, data, split) for name, value, data, split in result["cards"]["clip"]}
    assert clip_results["mR (IR->text, text->IR, RGB->IR, IR->RGB)"] == (30.1, REPOS["dataset"], "validation")
    assert clip_results["ir_to_text R@1"][0] == 4.8
    vlm_results = {name: value for name, value, *_ in result["cards"]["vlm"]}
    assert vlm_results["rgb_caption CIDEr"] == 25.0 and len(vlm_results) == 8
    assert not hub_server.unimplemented


def test_models_load_from_the_hub_with_remote_code_and_no_package(pushed, hub_server, model_folders, workdir):
    env = {key: value for key, value in hub_env(hub_server, workdir / "remote-code-client").items()
           if key.startswith(("HF_", "TRANSFORMERS_"))}
    # run_without_package starts the process offline: go online, at the server, before huggingface_hub is imported
    stdout = run_without_package(f"""
        import os
        os.environ.update({env!r})
        import torch
        from transformers import AutoModel, AutoModelForImageTextToText, AutoProcessor

        clip = AutoModel.from_pretrained({REPOS["clip"]!r}, trust_remote_code=True).eval()
        assert type(clip).__module__.startswith("transformers_modules"), type(clip).__module__
        with torch.no_grad():
            got = clip(**torch.load({str(workdir / "clip_inputs.pt")!r})).logits_per_rgb_ir
        torch.testing.assert_close(got, torch.load({str(workdir / "clip_expected.pt")!r}))
        vlm = AutoModelForImageTextToText.from_pretrained({REPOS["vlm"]!r}, trust_remote_code=True).eval()
        processor = AutoProcessor.from_pretrained({REPOS["vlm"]!r}, trust_remote_code=True)
        out = vlm.generate(**torch.load({str(workdir / "vlm_inputs.pt")!r}), max_new_tokens=4, min_new_tokens=4,
                           do_sample=False, pad_token_id=0)
        print(type(vlm).__module__.startswith("transformers_modules"), type(processor).__name__, out.tolist())
    """, workdir)
    assert stdout.strip().splitlines()[-1] == f"True FusionRSVLMProcessor {model_folders['vlm_generated']}"
    assert not hub_server.unimplemented


def test_space_files_list_back(pushed, hub_server, monkeypatch):
    from huggingface_hub import HfApi, constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)  # this process runs offline; the server is local
    api = HfApi(endpoint=hub_server.url, token="hf_test_token")
    files = api.list_repo_files(REPOS["space"], repo_type="space")
    local = {p.name for p in (REPO_ROOT / "spaces").iterdir() if p.is_file() and p.suffix != ".pyc"}
    assert set(files) == local | {".gitattributes"}
    assert api.space_info(REPOS["space"]).sdk == "gradio"
    assert not hub_server.unimplemented


def test_malformed_evaluation_results_are_refused_locally_and_by_the_server(hub_server, tmp_path, monkeypatch):
    from huggingface_hub import HfApi, constants

    from fusionrs_hf import hub
    from fusionrs_hf.cli import main

    bad_card = "---\nlicense: apache-2.0\nmodel-index:\n- name: broken\n  results:\n  - task: {}\n---\n# card\n"
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "README.md").write_text(bad_card)
    with pytest.raises(ValueError, match="invalid model card metadata"):
        hub.push_model_folder(tmp_path, f"{NAMESPACE}/broken")
    assert main(["push", "--kind", "clip", "--folder", str(tmp_path / "missing"), "--repo-id", "a/b"]) == 2
    # a client that skips the local check meets the server's validate-yaml, as it would the Hub's
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    api = HfApi(endpoint=hub_server.url, token="hf_test_token")
    api.create_repo(f"{NAMESPACE}/broken", exist_ok=True)
    with pytest.raises(ValueError, match="Invalid metadata in README.md"):
        api.upload_file(path_or_fileobj=bad_card.encode(), path_in_repo="README.md", repo_id=f"{NAMESPACE}/broken")
    assert not hub_server.unimplemented


# ---------------------------------------------------------------------------------------------------------------
# reads through olah (a self-hosted Hub mirror) serving the pushed repos as local git repositories, offline
# ---------------------------------------------------------------------------------------------------------------

def olah_cli() -> str | None:
    """olah lives in its own virtualenv (its pins would move this one's packages): $FUSIONRS_OLAH, else
    .olah-venv/ (see .ci/run), else an `olah-cli` on PATH."""
    candidates = [os.environ.get("FUSIONRS_OLAH"), str(REPO_ROOT / ".olah-venv" / "bin" / "olah-cli"),
                  shutil.which("olah-cli")]
    return next((c for c in candidates if c and Path(c).is_file()), None)


@pytest.fixture(scope="module")
def olah(pushed, hub_server, workdir):
    """olah, offline, with the pushed dataset and CLIP exported as git repositories in its mirrors path;
    yields (url, {kind: commit id})."""
    import socket
    import urllib.request

    cli = olah_cli()
    if cli is None:
        pytest.skip("olah is not installed: python3 -m venv .olah-venv && .olah-venv/bin/pip install olah==0.5.4")
    root = workdir / "olah"
    commits = {kind: hub_server.store.export_git(repo_type, REPOS[kind], root / "mirrors" / f"{repo_type}s" / REPOS[kind])
               for kind, repo_type in (("dataset", "dataset"), ("clip", "model"))}
    with socket.socket() as probe:  # a free port for olah to bind
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    (root / "olah.toml").write_text(textwrap.dedent(f"""
        [basic]
        host = "127.0.0.1"
        port = {port}
        repos-path = "{root / 'cache'}"
        mirrors-path = ["{root / 'mirrors'}"]
        mirror-netloc = "127.0.0.1:{port}"
        mirror-lfs-netloc = "127.0.0.1:{port}"

        [accessibility]
        offline = true
    """))
    with open(root / "olah.log", "w") as log:
        server = subprocess.Popen([cli, "-c", str(root / "olah.toml")], cwd=root, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/datasets/{REPOS['dataset']}/revision/main", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"olah did not start:\n{(root / 'olah.log').read_text()[-3000:]}")
                time.sleep(0.2)
        yield url, commits
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_olah_serves_the_pushed_dataset_and_model_from_local_git_mirrors(olah, ucm_small_dataset, workdir):
    import datasets

    url, commits = olah
    env = {**{k: v for k, v in hub_env(SimpleNamespace(url=url), workdir / "olah-client").items()
              if k.startswith(("HF_", "TRANSFORMERS_"))}}
    # olah 0.5.4 answers a missing file at `main` of a local mirror with 401 RepoNotFound (it falls back to the
    # offline upstream), which transformers' optional-file probes treat as fatal; at a commit id it answers
    # 404 EntryNotFound as the Hub does. So the model is read at its commit.
    script = textwrap.dedent(f"""
        import os
        os.environ.update({env!r})
        import hashlib, json
        import datasets, torch
        from transformers import AutoModel

        clip = AutoModel.from_pretrained({REPOS["clip"]!r}, revision={commits["clip"]!r}, trust_remote_code=True)
        with torch.no_grad():
            got = clip.eval()(**torch.load({str(workdir / "clip_inputs.pt")!r})).logits_per_rgb_ir
        torch.testing.assert_close(got, torch.load({str(workdir / "clip_expected.pt")!r}))
        ds = datasets.load_dataset({REPOS["dataset"]!r})
    """) + inspect.getsource(record_digest) + "\nprint(json.dumps({split: record_digest(ds[split]) for split in ds}))\n"
    from_olah = json.loads(run_without_package(script, workdir).strip().splitlines()[-1])
    local = datasets.load_dataset(str(ucm_small_dataset))
    assert sorted(from_olah) == sorted(local)
    for split in local:
        assert from_olah[split] == record_digest(local[split])
