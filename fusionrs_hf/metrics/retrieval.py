"""Cross-modal retrieval recall (R@1/5/10) as the remote-sensing retrieval literature reports it:
an image query is a hit when any of its captions is in the top K, a caption query when its own image is."""

from __future__ import annotations

import torch

KS = (1, 5, 10)
# the paper's four IR directions make "mR"; every direction makes "mR_all"
IR_DIRECTIONS = ("ir_to_text", "text_to_ir", "rgb_to_ir", "ir_to_rgb")
DIRECTIONS = ("rgb_to_text", "text_to_rgb", "ir_to_text", "text_to_ir", "rgb_to_ir", "ir_to_rgb",
              "fused_to_text", "text_to_fused")


@torch.no_grad()
def recall_at_k(queries: torch.Tensor, gallery: torch.Tensor, query_owner: torch.Tensor, gallery_owner: torch.Tensor,
                ks=KS, chunk_size: int = 1024) -> dict[str, float]:
    """Percent of queries with a gallery item of the same owner (image index) among their top K by dot
    product. Embeddings are (n, d), normalised if cosine similarity is meant. Scores are computed in
    chunks of queries, so 10k x 50k never materialises at once."""
    max_k = min(max(ks), gallery.shape[0])
    hits = torch.zeros(len(ks), dtype=torch.long)
    gallery_owner = gallery_owner.to(gallery.device)
    for start in range(0, queries.shape[0], chunk_size):
        scores = queries[start:start + chunk_size] @ gallery.t()
        top = scores.topk(max_k, dim=1).indices
        match = gallery_owner[top] == query_owner[start:start + chunk_size].to(gallery.device)[:, None]
        # a hit at rank r counts for every K >= r
        first_hit = torch.where(match.any(1), match.float().argmax(1), torch.full_like(match[:, 0], max_k, dtype=torch.long))
        for i, k in enumerate(ks):
            hits[i] += (first_hit < k).sum().cpu()
    return {f"R@{k}": 100.0 * hits[i].item() / queries.shape[0] for i, k in enumerate(ks)}


def retrieval_metrics(embeds: dict[str, torch.Tensor], text_owner: torch.Tensor, ir_text_owner: torch.Tensor | None = None,
                      ks=KS) -> dict:
    """All directions among the embeddings present (`rgb`, `ir`, `fused`: one row per image; `text`: scene
    captions; `ir_text`: the captions IR directions are scored against, default `text`), with `*_owner`
    the image index of each caption row. Adds `mR` (mean of the IR directions' R@K), `mR_all` (all
    directions present) and `rgb_text_mR` (rgb_to_text + text_to_rgb)."""
    images = {name: embeds[name] for name in ("rgb", "ir", "fused") if embeds.get(name) is not None}
    n = next(iter(images.values())).shape[0]
    image_owner = torch.arange(n)
    ir_text = embeds.get("ir_text", embeds.get("text"))
    ir_text_owner = text_owner if ir_text_owner is None else ir_text_owner
    results: dict = {}

    def add(name, queries, gallery, q_owner, g_owner):
        results[name] = recall_at_k(queries, gallery, q_owner, g_owner, ks)

    for image in images:
        text, owner = (ir_text, ir_text_owner) if image == "ir" else (embeds.get("text"), text_owner)
        if text is not None:
            add(f"{image}_to_text", images[image], text, image_owner, owner)
            add(f"text_to_{image}", text, images[image], owner, image_owner)
    if "rgb" in images and "ir" in images:
        add("rgb_to_ir", images["rgb"], images["ir"], image_owner, image_owner)
        add("ir_to_rgb", images["ir"], images["rgb"], image_owner, image_owner)
    if "ir" in images and embeds.get("ir_text") is not None and embeds.get("text") is not None:
        # IR against scene captions too: the common yardstick when comparing IR-aware with scene-text training
        add("ir_to_scene_text", images["ir"], embeds["text"], image_owner, text_owner)
        add("scene_text_to_ir", embeds["text"], images["ir"], text_owner, image_owner)

    def mean_of(names):
        values = [v for name in names if name in results for v in results[name].values()]
        return sum(values) / len(values) if values else None

    results["mR"] = mean_of(IR_DIRECTIONS)
    results["mR_all"] = mean_of(DIRECTIONS)
    results["rgb_text_mR"] = mean_of(("rgb_to_text", "text_to_rgb"))
    return results


def class_diagnostics(image: torch.Tensor, text: torch.Tensor, text_owner: torch.Tensor,
                      image_class: torch.Tensor) -> dict:
    """How much of the image<->text error is class confusion. `image_class` holds a class id per image.
    Returns the percent of top-1 hits of the right class in each direction, and the image<->text mR the same
    embeddings would score if every cross-class pair ranked last (a class oracle: only the ranking within
    a class is left to the model)."""
    text_class = image_class[text_owner]
    scores = image @ text.t()
    image_top1 = 100.0 * (text_class[scores.argmax(1)] == image_class).float().mean().item()
    text_top1 = 100.0 * (image_class[scores.argmax(0)] == text_class).float().mean().item()
    # a one-hot class block with a bonus larger than any cosine difference (2) puts every same-class pair first
    n = int(image_class.max()) + 1
    image_oracle = torch.cat([image, 4.0 * torch.nn.functional.one_hot(image_class, n).to(image.dtype)], dim=1)
    text_oracle = torch.cat([text, torch.nn.functional.one_hot(text_class, n).to(text.dtype)], dim=1)
    owners = torch.arange(image.shape[0])
    recalls = [*recall_at_k(image_oracle, text_oracle, owners, text_owner).values(),
               *recall_at_k(text_oracle, image_oracle, text_owner, owners).values()]
    return {"image_to_text_top1_same_class": image_top1, "text_to_image_top1_same_class": text_top1,
            "class_oracle_mR": sum(recalls) / len(recalls)}


__all__ = ["recall_at_k", "retrieval_metrics", "class_diagnostics", "DIRECTIONS", "IR_DIRECTIONS", "KS"]
