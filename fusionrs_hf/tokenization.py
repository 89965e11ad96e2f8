"""A byte-level BPE tokenizer trained on caption text, for models trained from scratch (CLIP, later a VLM)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
from transformers import PreTrainedTokenizerFast

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<|startoftext|>", "<|endoftext|>"
# eos must not get id 2: transformers' CLIP text model treats eos_token_id == 2 as a legacy config and
# pools at the highest token id instead of at the eos token
SPECIAL_TOKENS = [PAD, UNK, BOS, EOS]


def caption_text_files(text_root: str | Path) -> list[str]:
    """Caption sentences from a folder of `*.txt` (one caption a line) and Karpathy `*.json` files."""
    sentences: list[str] = []
    for path in sorted(Path(text_root).glob("*")):
        if path.suffix == ".txt":
            sentences += [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        elif path.suffix == ".json":
            for image in json.loads(path.read_text(encoding="utf-8")).get("images", []):
                sentences += [s["raw"].strip() for s in image.get("sentences", []) if s.get("raw", "").strip()]
    return sentences


def train_caption_tokenizer(texts: Iterable[str], vocab_size: int = 4096, model_max_length: int = 64,
                            min_frequency: int = 2) -> PreTrainedTokenizerFast:
    """Train a lower-cased byte-level BPE on `texts`; sequences are `<|startoftext|> ... <|endoftext|>`,
    padded on the right with `<pad>`."""
    tokenizer = Tokenizer(models.BPE(unk_token=UNK))
    # captions differ in case only by accident ("There is" / "there is"); NFKC folds odd unicode
    tokenizer.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=min_frequency, special_tokens=SPECIAL_TOKENS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tokenizer.train_from_iterator(texts, trainer=trainer)
    bos, eos = tokenizer.token_to_id(BOS), tokenizer.token_to_id(EOS)
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{BOS} $A {EOS}", pair=f"{BOS} $A {EOS} $B {EOS}", special_tokens=[(BOS, bos), (EOS, eos)])
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token=BOS, eos_token=EOS, pad_token=PAD,
                                   unk_token=UNK, model_max_length=model_max_length, padding_side="right")


__all__ = ["train_caption_tokenizer", "caption_text_files", "SPECIAL_TOKENS"]
