"""FusionRSVLM generation speed: tokens/s with the KV cache against without it (same prompts, same greedy
tokens, one run), and captions/s of batched decoding.

    python benchmarks/bench_vlm_generate.py [--model DIR] [--data D] [--preset small] [--new-tokens 32]

Without --model a randomly initialised model of --preset is timed (speed does not depend on the weights; a
fixed `min_new_tokens` keeps the token count equal). With --data the prompts carry real FusionRS images.
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402


def load(args):
    from fusionrs_hf.models import FusionRSVLMConfig, FusionRSVLMForConditionalGeneration
    from fusionrs_hf.training.vlm import make_image_processor, make_processor, add_vlm_tokens

    if args.model:
        from transformers import AutoModelForImageTextToText, AutoProcessor

        return AutoModelForImageTextToText.from_pretrained(args.model).eval(), AutoProcessor.from_pretrained(args.model)
    from fusionrs_hf.tokenization import train_caption_tokenizer

    tokenizer = add_vlm_tokens(train_caption_tokenizer(["there is a piece of farmland ."] * 50, vocab_size=300))
    config = FusionRSVLMConfig.from_preset(
        args.preset, text_config={"vocab_size": 2052}, rgb_token_id=tokenizer.convert_tokens_to_ids("<rgb>"),
        ir_token_id=tokenizer.convert_tokens_to_ids("<ir>"))
    torch.manual_seed(0)
    model = FusionRSVLMForConditionalGeneration(config).eval()
    return model, make_processor(tokenizer, make_image_processor(config.image_size), config.num_image_tokens)


def images(args, n, size):
    if args.data:
        import datasets

        split = datasets.load_dataset(args.data, split="validation").select(range(n))
        return list(split["rgb"]), list(split["ir"])
    from PIL import Image

    g = torch.Generator().manual_seed(0)
    arrays = (torch.rand(n, size, size, 3, generator=g) * 255).to(torch.uint8).numpy()
    return [Image.fromarray(a) for a in arrays], [Image.fromarray(a[..., 0]) for a in arrays]


@torch.inference_mode()
def timed_generate(model, inputs, new_tokens, use_cache, repeats=1):
    # greedy: tokens/s of one decoding path (saved models default to 3 beams)
    kwargs = dict(max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False, num_beams=1,
                  use_cache=use_cache, pad_token_id=0)
    model.generate(**inputs, **dict(kwargs, max_new_tokens=2, min_new_tokens=2))  # warm-up
    start = time.perf_counter()
    for _ in range(repeats):
        out = model.generate(**inputs, **kwargs)
    return out, (time.perf_counter() - start) / repeats


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model")
    parser.add_argument("--data")
    parser.add_argument("--preset", default="small")
    parser.add_argument("--new-tokens", type=int, default=32)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 16, 64])
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model, processor = load(args)
    rgb, ir = images(args, max(args.batch_sizes), model.config.image_size)
    prompt = processor.apply_chat_template(
        [{"role": "user", "content": [{"type": "image", "view": "rgb"}, {"type": "image", "view": "ir"},
                                      {"type": "text", "text": "Describe the scene."}]}],
        add_generation_prompt=True, tokenize=False)
    results = {"preset_or_model": args.model or args.preset, "new_tokens": args.new_tokens, "threads": args.threads,
               "prompt_tokens": None, "cache_vs_no_cache": {}, "batched": {}}
    # 1) single prompt (both views): the cache re-uses the prompt's keys/values instead of re-running all tokens
    inputs = processor(text=[prompt], rgb_images=rgb[:1], ir_images=ir[:1], padding_side="left")
    results["prompt_tokens"] = int(inputs["input_ids"].shape[1])
    cached, t_cache = timed_generate(model, inputs, args.new_tokens, True, repeats=3)
    uncached, t_plain = timed_generate(model, inputs, args.new_tokens, False, repeats=3)
    assert torch.equal(cached, uncached), "cache and no-cache decoding disagree"
    results["cache_vs_no_cache"] = {
        "tokens_per_s_with_cache": round(args.new_tokens / t_cache, 1),
        "tokens_per_s_without_cache": round(args.new_tokens / t_plain, 1),
        "speedup": round(t_plain / t_cache, 2)}
    # 2) batched greedy captioning with the cache
    for batch in args.batch_sizes:
        inputs = processor(text=[prompt] * batch, rgb_images=rgb[:batch], ir_images=ir[:batch], padding_side="left")
        _, seconds = timed_generate(model, inputs, args.new_tokens, True)
        results["batched"][str(batch)] = {"captions_per_s": round(batch / seconds, 2),
                                          "tokens_per_s": round(batch * args.new_tokens / seconds, 1)}
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
