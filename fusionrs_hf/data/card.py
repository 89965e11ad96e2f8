"""The dataset card: YAML metadata the Hub and `load_dataset` read, and the measured build report,
rendered from `dataset_card/template.md` with `huggingface_hub.DatasetCard.from_template`."""

from __future__ import annotations

from pathlib import Path

from huggingface_hub import DatasetCard, DatasetCardData

from .schema import FUSIONRS_FEATURES
from .translators import get_translator

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TEMPLATE = REPO_ROOT / "dataset_card" / "template.md"

# what we know about public sources: (licence line, citation)
KNOWN_SOURCES = {
    "ucm": ("UCM-Captions: UC Merced Land Use images (USGS National Map, public domain) with the UCM-Captions "
            "sentences of Qu et al. 2016 (research use). Cite Yang & Newsam 2010 and Qu et al. 2016.",
            "Qu, B., Li, X., Tao, D., Lu, X. Deep semantic understanding of high resolution remote sensing image. "
            "CITS 2016. Yang, Y., Newsam, S. Bag-of-visual-words and spatial extensions for land-use classification. "
            "ACM GIS 2010."),
    "sydney": ("Sydney-Captions (Qu et al. 2016), research use.", "Qu et al., CITS 2016."),
    "rsicd": ("RSICD (Lu et al. 2017), research use.", "Lu, X. et al. Exploring models and data for remote sensing "
              "image caption generation. IEEE TGRS 2017."),
}


def _size_category(n: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if n < limit:
            return name
    return "1M<n<10M"


def render_dataset_card(config, summary, repo_id: str | None = None) -> DatasetCard:
    out = Path(config.out_dir)
    splits = list(summary.written_by_split)
    source_names = sorted({row for row in _source_names(out)}) or [Path(s.path).stem for s in config.sources]
    known = [KNOWN_SOURCES.get(name.lower().split("_")[0].split("-")[0]) for name in source_names]
    card_data = DatasetCardData(
        pretty_name=f"FusionRS-{'-'.join(n.upper() for n in source_names)}",
        license="other",
        language=["en"],
        task_categories=["image-to-text", "zero-shot-image-classification", "image-to-image"],
        size_categories=[_size_category(summary.written)],
        source_datasets=source_names,
        tags=["remote-sensing", "infrared", "rgb-infrared", "image-captioning", "fusionrs"],
        configs=[{"config_name": "default",
                  # the settings fingerprint in the file names keeps `datasets`' cache (keyed by
                  # folder name and these patterns) from serving an older build of the same folder
                  "data_files": [{"split": s, "path": f"data/{s}-{config.fingerprint()}-*.parquet"} for s in splits]}],
        dataset_info={"features": FUSIONRS_FEATURES._to_yaml_list()},
    )
    template = Path(config.card_template) if config.card_template else DEFAULT_TEMPLATE
    if not template.is_file():
        raise FileNotFoundError(f"dataset card template not found: {template} (pass --card-template)")
    translator = get_translator(config.translator)
    return DatasetCard.from_template(
        card_data,
        template_path=str(template),
        pretty_name=card_data.pretty_name,
        repo_id=repo_id or str(out),
        source_list=", ".join(source_names),
        written_by_split=summary.written_by_split,
        translator=summary.translator,
        translator_doc=translator.description,
        captioner=summary.captioner,
        seed=config.seed,
        filter=summary.filter,
        caption_fallbacks=summary.caption_fallbacks,
        splits=summary.splits,
        phash_distance=config.phash_distance,
        records_in=summary.records_in,
        written=summary.written,
        rejected=summary.rejected,
        rejected_by_reason=summary.rejected_by_reason,
        sources=[k[0] if k else f"{n}: licence as given by its publisher" for n, k in zip(source_names, known)],
        source_citations=[k[1] for k in known if k],
    )


def _source_names(out: Path) -> list[str]:
    import pyarrow.parquet as pq

    names = set()
    for path in sorted((out / "data").glob("*.parquet")):
        names.update(pq.read_table(path, columns=["source_dataset"]).column(0).to_pylist())
    return sorted(names)


def write_dataset_card(config, summary, repo_id: str | None = None) -> Path:
    card = render_dataset_card(config, summary, repo_id)
    path = Path(config.out_dir) / "README.md"
    card.save(str(path))
    return path
