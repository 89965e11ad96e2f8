"""`fusionrs build`: plan (decode, hash, group, split) -> shards (translate, caption, filter, write) -> card.

Resumable and cluster-friendly: the plan is deterministic and cached in `OUT/_build/plan.json`;
each shard writes its Parquet files under temporary names, renames them, then drops a marker
`OUT/_build/shard-I-of-N.json`. A rerun skips shards that have a marker, so a killed build
finishes without redoing or duplicating finished shards, and a job array (`--shard-index`)
builds disjoint shards of one dataset that load together once all markers are in.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import multiprocessing
import os
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator

from tqdm.auto import tqdm

from .claims_filter import ClaimsFilter
from .images import DEFAULT_MAX_PIXELS, RecordError
from .records import Reject, clean_captions, process_batch, read_source_thumbnail
from .schema import FUSIONRS_FEATURES, SourceRecord
from .sources import open_source
from .splits import assign_splits, group_records, normalise_caption_set, perceptual_hash
from .translators import DEFAULT_TRANSLATOR, available_translators, get_translator

BUILD_DIR = "_build"
SPLIT_ORDER = ("train", "validation", "test")


@dataclass
class SourceSpec:
    path: str
    image_root: str | None = None
    image_column: str = "image"
    caption_column: str = "captions"


@dataclass
class BuildConfig:
    sources: list[SourceSpec]
    out_dir: str
    translator: str = DEFAULT_TRANSLATOR
    captioner: str = "template"
    seed: int = 0
    limit: int | None = None
    num_proc: int = 1
    num_shards: int | None = None
    shard_index: int | None = None
    records_per_shard: int = 500
    batch_size: int = 32
    max_pixels: int = DEFAULT_MAX_PIXELS
    phash_distance: int = 4
    card_template: str | None = None

    def fingerprint(self) -> str:
        """What must match for a rerun to reuse finished shards: the settings and the code version."""
        from .. import __version__

        keys = {k: v for k, v in asdict(self).items() if k not in ("out_dir", "num_proc", "shard_index", "card_template")}
        keys["fusionrs_hf"] = __version__
        if self.translator in available_translators():  # name@version, so a new version rebuilds
            keys["translator"] = get_translator(self.translator).id
        return hashlib.sha256(json.dumps(keys, sort_keys=True, default=str).encode()).hexdigest()[:16]


@dataclass
class BuildSummary:
    records_in: int = 0
    written: int = 0
    rejected: int = 0
    rejected_by_reason: dict = field(default_factory=dict)
    written_by_split: dict = field(default_factory=dict)
    filter: dict = field(default_factory=dict)
    caption_fallbacks: dict = field(default_factory=dict)
    splits: dict = field(default_factory=dict)
    translator: str = ""
    captioner: str = ""
    seconds: float = 0.0
    images_per_second: float = 0.0
    complete: bool = False
    shards_done: int = 0
    num_shards: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


class BuildError(RuntimeError):
    pass


def iter_sources(config: BuildConfig) -> Iterator[tuple[int, int, SourceRecord]]:
    for source_index, spec in enumerate(config.sources):
        records = open_source(spec.path, image_root=spec.image_root, image_column=spec.image_column,
                              caption_column=spec.caption_column, limit=config.limit)
        for position, record in enumerate(records):
            yield source_index, position, record


# ---------------------------------------------------------------- plan
def _plan_one(record: SourceRecord, max_pixels: int):
    try:
        thumbnail = read_source_thumbnail(record, max_pixels)
        captions = clean_captions(record)
        return perceptual_hash(thumbnail), normalise_caption_set(captions), None
    except RecordError as err:
        return None, None, (err.reason, err.detail)


def _plan_star(args):
    return _plan_one(*args)


def make_plan(config: BuildConfig) -> dict:
    plan_path = Path(config.out_dir) / BUILD_DIR / "plan.json"
    if plan_path.is_file():
        plan = json.loads(plan_path.read_text())
        if plan["fingerprint"] == config.fingerprint():
            return plan
        raise BuildError(f"{config.out_dir} holds a build made with other settings (plan {plan['fingerprint']}, "
                         f"now {config.fingerprint()}); use a new --out or delete it")
    entries, rejects, seen = [], [], set()
    items = list(iter_sources(config))
    work = [(record, config.max_pixels) for _, _, record in items]
    with _pool(config.num_proc) as pool:
        mapped = pool.imap(_plan_star, work, chunksize=16) if pool else map(_plan_star, work)
        results = list(tqdm(mapped, total=len(work), desc="plan: decode + hash", unit="img"))
    for (source_index, position, record), (phash, caption_key, error) in zip(items, results):
        if error is None and record.sample_id in seen:
            error = ("duplicate_id", f"{record.origin}: sample id {record.sample_id} already used")
        if error is not None:
            rejects.append(Reject(record.sample_id, record.origin, *error).as_dict())
            continue
        seen.add(record.sample_id)
        entries.append({"sample_id": record.sample_id, "source": source_index, "position": position,
                        "source_split": record.split, "phash": phash, "caption_key": caption_key})
    group_ids, report = group_records([e["sample_id"] for e in entries], [e["phash"] for e in entries],
                                      [e["caption_key"] for e in entries], max_distance=config.phash_distance)
    splits = assign_splits(group_ids, [e["source_split"] for e in entries], report, seed=config.seed)
    for entry, group, split in zip(entries, group_ids, splits):
        entry.update(group_id=group, split=split)
    num_shards = config.num_shards or max(1, math.ceil(len(entries) / config.records_per_shard))
    plan = {"fingerprint": config.fingerprint(), "records_in": len(items), "num_shards": num_shards,
            "entries": entries, "plan_rejects": rejects, "split_report": report.as_dict()}
    _atomic_write(plan_path, json.dumps(plan))
    return plan


# ---------------------------------------------------------------- shards
def shard_name(index: int, count: int) -> str:
    return f"{index:05d}-of-{count:05d}"


def _pool(num_proc: int, initializer=None, initargs=()):
    """A fork pool for `num_proc` > 1, else a context holding None (the caller maps in-process)."""
    if num_proc <= 1:
        if initializer is not None:
            initializer(*initargs)
        return contextlib.nullcontext(None)
    return multiprocessing.get_context("fork").Pool(num_proc, initializer=initializer, initargs=initargs)


_WORKER: dict = {}


def _init_worker(translator_name: str, captioner_name: str, seed: int, max_pixels: int) -> None:
    from .captioners import get_captioner

    _WORKER.update(translator=get_translator(translator_name), captioner=get_captioner(captioner_name, seed=seed),
                   max_pixels=max_pixels)


def _process(batch):
    return process_batch(batch, _WORKER["translator"], _WORKER["captioner"], _WORKER["max_pixels"])


def build_shard(config: BuildConfig, plan: dict, index: int) -> dict:
    out = Path(config.out_dir)
    count = plan["num_shards"]
    marker = out / BUILD_DIR / f"shard-{shard_name(index, count)}.json"
    if marker.is_file():
        return json.loads(marker.read_text())
    start = time.perf_counter()
    entries = plan["entries"][index::count]
    wanted = {(e["source"], e["position"]): e for e in entries}
    chosen = [(record, wanted[(s, p)]["split"], wanted[(s, p)]["group_id"])
              for s, p, record in iter_sources(config) if (s, p) in wanted]
    batches = [chosen[i:i + config.batch_size] for i in range(0, len(chosen), config.batch_size)]
    init_args = (config.translator, config.captioner, config.seed, config.max_pixels)
    rows_by_split: dict[str, list] = {}
    rejects, claims, fallbacks, made_by = [], ClaimsFilter(), Counter(), {}
    with _pool(config.num_proc, _init_worker, init_args) as pool, \
            tqdm(total=len(chosen), desc=f"shard {index + 1}/{count}", unit="img") as progress:
        results = pool.imap(_process, batches) if pool else map(_process, batches)
        for batch, result in zip(batches, results):
            for row in result.rows:
                rows_by_split.setdefault(row["split"], []).append(row)
            rejects.extend(r.as_dict() for r in result.rejects)
            claims.merge(result.claims)
            fallbacks.update(result.caption_fallbacks)
            made_by = {"translator": result.translator, "captioner": result.captioner}
            progress.update(len(batch))
    from datasets import Dataset
    from datasets.utils.logging import disable_progress_bar, enable_progress_bar

    disable_progress_bar()  # our own bar covers the shard; one per Parquet file is noise
    written = {}
    for split, rows in rows_by_split.items():
        target = out / "data" / f"{split}-{plan['fingerprint']}-{shard_name(index, count)}.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(".parquet.tmp")
        Dataset.from_list(rows, features=FUSIONRS_FEATURES).to_parquet(str(temporary))
        os.replace(temporary, target)
        written[split] = len(rows)
    enable_progress_bar()
    result = {"shard": index, "records": len(chosen), "written": written, "rejects": rejects,
              "filter": claims.report(), "caption_fallbacks": dict(fallbacks), "seconds": time.perf_counter() - start,
              **made_by}
    _atomic_write(marker, json.dumps(result))
    return result


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + f".{os.getpid()}.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


# ---------------------------------------------------------------- finish
def summarise(config: BuildConfig, plan: dict) -> BuildSummary:
    out = Path(config.out_dir)
    count = plan["num_shards"]
    markers = [out / BUILD_DIR / f"shard-{shard_name(i, count)}.json" for i in range(count)]
    done = [json.loads(m.read_text()) for m in markers if m.is_file()]
    rejects = list(plan["plan_rejects"]) + [r for shard in done for r in shard["rejects"]]
    claims = {"checked": 0, "blocked": 0, "blocked_by_category": Counter(), "top_blocked_terms": Counter()}
    written_by_split: Counter = Counter()
    fallbacks: Counter = Counter()
    for shard in done:
        fallbacks.update(shard["caption_fallbacks"])
        written_by_split.update(shard["written"])
        for key in ("checked", "blocked"):
            claims[key] += shard["filter"][key]
        claims["blocked_by_category"].update(shard["filter"]["blocked_by_category"])
        claims["top_blocked_terms"].update(shard["filter"]["top_blocked_terms"])
    seconds = sum(shard["seconds"] for shard in done)
    written = sum(written_by_split.values())
    return BuildSummary(
        records_in=plan["records_in"],
        written=written,
        rejected=len(rejects),
        rejected_by_reason=dict(Counter(r["reason"] for r in rejects).most_common()),
        written_by_split={s: written_by_split[s] for s in SPLIT_ORDER if s in written_by_split},
        filter={**claims, "blocked_by_category": dict(claims["blocked_by_category"]),
                "top_blocked_terms": dict(claims["top_blocked_terms"].most_common(10))},
        caption_fallbacks=dict(fallbacks),
        splits=plan["split_report"],
        translator=next((shard["translator"] for shard in done if shard.get("translator")), ""),
        captioner=next((shard["captioner"] for shard in done if shard.get("captioner")), ""),
        seconds=round(seconds, 2),
        images_per_second=round(sum(s["records"] for s in done) / seconds, 2) if seconds else 0.0,
        complete=len(done) == count,
        shards_done=len(done),
        num_shards=count,
    )


def build_dataset(config: BuildConfig) -> BuildSummary:
    """Build (or resume) a FusionRS dataset in `config.out_dir`; returns the summary so far."""
    get_translator(config.translator)  # a bad translator name fails now, not after the plan pass
    plan = make_plan(config)
    count = plan["num_shards"]
    if config.num_shards and config.num_shards != count:
        raise BuildError(f"plan has {count} shards, --num-shards says {config.num_shards}")
    if config.shard_index is not None and not 0 <= config.shard_index < count:
        raise BuildError(f"--shard-index {config.shard_index} is outside 0..{count - 1}")
    indices = [config.shard_index] if config.shard_index is not None else range(count)
    for index in indices:
        build_shard(config, plan, index)
    summary = summarise(config, plan)
    if summary.complete:
        out = Path(config.out_dir)
        rejects = list(plan["plan_rejects"]) + [
            r for i in range(count) for r in json.loads((out / BUILD_DIR / f"shard-{shard_name(i, count)}.json").read_text())["rejects"]
        ]
        (out / "rejects.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rejects))
        (out / "build_summary.json").write_text(json.dumps(summary.as_dict(), indent=2))
        from .card import write_dataset_card

        write_dataset_card(config, summary)
    if summary.complete and summary.records_in != summary.written + summary.rejected:
        raise BuildError(f"records in ({summary.records_in}) != written ({summary.written}) + rejected ({summary.rejected})")
    return summary
