"""Captioning metrics as the remote-sensing captioning literature reports them: BLEU-1..4, METEOR, ROUGE-L and
CIDEr(-D) from pycocoevalcap (the COCO caption evaluation code; METEOR and the PTB tokenizer run on Java).
CIDEr is reported x100, the others in percent. SPICE is left out: it downloads Stanford CoreNLP at run time."""

from __future__ import annotations

from collections.abc import Sequence

METRIC_NAMES = ("BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4", "METEOR", "ROUGE-L", "CIDEr")


def caption_metrics(predictions: Sequence[str], references: Sequence[Sequence[str]],
                    metrics: Sequence[str] = METRIC_NAMES) -> dict[str, float]:
    """Corpus-level scores of one predicted caption per image against that image's reference captions.
    Both sides go through the PTB tokenizer (lower case, punctuation removed) as in the COCO evaluation."""
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.meteor.meteor import Meteor
    from pycocoevalcap.rouge.rouge import Rouge
    from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer

    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions but {len(references)} reference sets")
    if not predictions:
        raise ValueError("no predictions to score")
    if any(not refs for refs in references):
        raise ValueError("every image needs at least one reference caption")
    unknown = set(metrics) - set(METRIC_NAMES)
    if unknown:
        raise ValueError(f"unknown metrics {sorted(unknown)}; known: {METRIC_NAMES}")
    # one PTB tokenizer call (one Java start) for both sides: references under keys ("ref", i), predictions ("hyp", i)
    both = {("ref", i): [{"caption": r} for r in refs] for i, refs in enumerate(references)}
    both.update({("hyp", i): [{"caption": p}] for i, p in enumerate(predictions)})
    tokenized = PTBTokenizer().tokenize(both)
    gts = {i: tokenized[("ref", i)] for i in range(len(references))}
    # an empty prediction (e.g. only punctuation) would trip BLEU's and METEOR's input checks; it scores as a
    # token that matches nothing, which is what an empty caption deserves
    res = {i: [c if c.strip() else "<empty>" for c in tokenized[("hyp", i)]] for i in range(len(predictions))}

    scores: dict[str, float] = {}
    wanted = set(metrics)
    if wanted & {"BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4"}:
        bleu, _ = Bleu(4).compute_score(gts, res, verbose=0)
        scores.update({f"BLEU-{n + 1}": 100.0 * b for n, b in enumerate(bleu)})
    if "METEOR" in wanted:
        meteor = Meteor()
        try:
            scores["METEOR"] = 100.0 * meteor.compute_score(gts, res)[0]
        finally:
            _close_meteor(meteor)
    if "ROUGE-L" in wanted:
        scores["ROUGE-L"] = 100.0 * Rouge().compute_score(gts, res)[0]
    if "CIDEr" in wanted:
        scores["CIDEr"] = 100.0 * Cider().compute_score(gts, res)[0]
    return {name: round(float(scores[name]), 2) for name in METRIC_NAMES if name in wanted}


def _close_meteor(meteor) -> None:
    """pycocoevalcap 1.2 leaves the METEOR Java process running until garbage collection; end it now."""
    proc = getattr(meteor, "meteor_p", None)
    if proc is None:
        return
    with meteor.lock:
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream:
                stream.close()
        proc.kill()
        proc.wait()  # its own __del__ later closes the closed streams again, which is harmless


__all__ = ["caption_metrics", "METRIC_NAMES"]
