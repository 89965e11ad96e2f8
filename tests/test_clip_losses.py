"""Each FusionRSCLIP loss term against a hand-written reference, and how the config weights combine them."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from clip_helpers import tiny_inputs, tiny_model

from fusionrs_hf.models.clip.modeling_fusionrs_clip import infonce_loss, same_text_positives, siglip_loss, text_keys


def _unit(n, d, seed):
    return F.normalize(torch.randn(n, d, generator=torch.Generator().manual_seed(seed)), dim=-1)


def _infonce_by_hand(a, b, scale):
    n, total = a.shape[0], 0.0
    for i in range(n):
        row = [math.exp(scale * float(a[i] @ b[j])) for j in range(n)]
        col = [math.exp(scale * float(b[i] @ a[j])) for j in range(n)]
        total += -math.log(row[i] / sum(row)) - math.log(col[i] / sum(col))
    return total / (2 * n)


def _siglip_by_hand(a, b, scale, bias):
    n, total = a.shape[0], 0.0
    for i in range(n):
        for j in range(n):
            z = 1.0 if i == j else -1.0
            total += -math.log(1 / (1 + math.exp(-z * (scale * float(a[i] @ b[j]) + bias))))
    return total / n


def test_infonce_matches_hand_computation():
    a, b = _unit(5, 8, 0), _unit(5, 8, 1)
    got = infonce_loss(a, b, a, b, torch.tensor(7.0))
    assert got.item() == pytest.approx(_infonce_by_hand(a, b, 7.0), rel=1e-5)


def test_siglip_matches_hand_computation():
    a, b = _unit(5, 8, 2), _unit(5, 8, 3)
    got = siglip_loss(a, b, a, b, torch.tensor(10.0), torch.tensor(-3.0))
    assert got.item() == pytest.approx(_siglip_by_hand(a, b, 10.0, -3.0), rel=1e-5)


@pytest.mark.parametrize("loss", ["infonce", "siglip"])
def test_local_rows_against_global_columns_average_to_the_global_loss(loss):
    # what each rank computes after the gather: its rows against everyone's columns, labels offset by rank
    a, b = _unit(8, 6, 4), _unit(8, 6, 5)
    scale, bias = torch.tensor(5.0), torch.tensor(-2.0)
    fn = (lambda x, y, xa, ya, off: infonce_loss(x, y, xa, ya, scale, off)) if loss == "infonce" else \
         (lambda x, y, xa, ya, off: siglip_loss(x, y, xa, ya, scale, bias, off))
    per_rank = [fn(a[r * 4:(r + 1) * 4], b[r * 4:(r + 1) * 4], a, b, r * 4) for r in range(2)]
    torch.testing.assert_close(sum(per_rank) / 2, fn(a, b, a, b, 0))


def test_each_model_term_is_its_pair_loss_and_weights_combine_them():
    weights = {"rgb_text": 1.0, "ir_text": 2.0, "rgb_ir": 0.5, "fused_text": 1.5}
    model = tiny_model(mode="trimodal_fused", loss_weights=weights).eval()
    out = model(**tiny_inputs(batch=6), return_loss=True)
    scale = model.temperature_scale()
    pairs = {"rgb_text": (out.rgb_embeds, out.text_embeds), "ir_text": (out.ir_embeds, out.ir_text_embeds),
             "rgb_ir": (out.rgb_embeds, out.ir_embeds), "fused_text": (out.fused_embeds, out.text_embeds)}
    for name, (a, b) in pairs.items():
        torch.testing.assert_close(out[f"loss_{name}"], infonce_loss(a, b, a, b, scale))
    # the IR view pairs with its own (IR-aware) captions when they are given
    assert not torch.allclose(out.ir_text_embeds, out.text_embeds)
    expected = sum(w * out[f"loss_{n}"] for n, w in weights.items()) / sum(weights.values())
    torch.testing.assert_close(out.loss, expected)


def test_ir_pairs_with_scene_text_without_ir_captions():
    inputs = {k: v for k, v in tiny_inputs().items() if not k.startswith("ir_input") and k != "ir_attention_mask"}
    out = tiny_model(mode="dual_text").eval()(**inputs, return_loss=True)
    torch.testing.assert_close(out.ir_text_embeds, out.text_embeds)
    torch.testing.assert_close(out.loss, (out.loss_rgb_text + out.loss_ir_text) / 2)


def test_rgb_only_mode_trains_only_rgb_text():
    out = tiny_model(mode="rgb_only")(**tiny_inputs(), return_loss=True)
    assert out.loss_ir_text is None and out.loss_rgb_ir is None and out.loss_fused_text is None
    torch.testing.assert_close(out.loss, out.loss_rgb_text)
    assert out.logits_per_rgb_ir is not None  # still reported when both views are given


def test_rgb_ir_term_reaches_the_vision_tower_only():
    model = tiny_model(mode="trimodal", loss_weights={"rgb_text": 0.0, "ir_text": 0.0})
    model(**tiny_inputs(), return_loss=True).loss.backward()
    assert model.vision_model.embedder.embedder.convolution.weight.grad.abs().sum() > 0
    assert model.modality_embedding.weight.grad.abs().sum() > 0
    assert model.text_model.embeddings.token_embedding.weight.grad is None


def test_siglip_option():
    model = tiny_model(mode="trimodal", loss_type="siglip").eval()
    assert model.logit_bias is not None and model.logit_bias.item() == -10.0
    out = model(**tiny_inputs(), return_loss=True)
    scale = model.temperature_scale()
    a, b = out.rgb_embeds, out.ir_embeds
    torch.testing.assert_close(out.loss_rgb_ir, siglip_loss(a, b, a, b, scale, model.logit_bias))


def test_no_loss_without_a_pair_raises():
    inputs = tiny_inputs()
    with pytest.raises(ValueError, match="no loss term"):
        tiny_model(mode="rgb_only")(pixel_values=inputs["pixel_values"], return_loss=True)


# ----- identical captions are not negatives (dedupe_text_negatives) --------------------------------------------------


def _deduped_by_hand(a, b, scale, groups):
    """Symmetric InfoNCE in which row i's softmax leaves out the other members of its caption group."""
    n, total = a.shape[0], 0.0
    for i in range(n):
        kept = [j for j in range(n) if j == i or groups[j] != groups[i]]
        for x, y in ((a, b), (b, a)):
            logits = {j: scale * float(x[i] @ y[j]) for j in kept}
            total += -logits[i] + math.log(sum(math.exp(v) for v in logits.values()))
    return total / (2 * n)


def _ids(rows):
    """Padded token ids and mask of captions given as lists of token ids (pad 0)."""
    width = max(map(len, rows))
    ids = torch.tensor([r + [0] * (width - len(r)) for r in rows])
    return ids, (ids != 0).long()


def test_identical_captions_are_not_negatives_of_each_other():
    # rows 0 and 2 share a caption, rows 1 and 4 too; row 3 is alone. Row 4's caption carries extra padding
    ids, mask = _ids([[2, 5, 6, 3], [2, 7, 3], [2, 5, 6, 3], [2, 8, 9, 3], [2, 7, 3, 0, 0]])
    positives = same_text_positives(text_keys(ids, mask), text_keys(ids, mask))
    groups = [0, 1, 0, 2, 1]
    assert positives.tolist() == [[gi == gj for gj in groups] for gi in groups]
    a, b = _unit(5, 8, 6), _unit(5, 8, 7)
    got = infonce_loss(a, b, a, b, torch.tensor(7.0), positives=positives)
    assert got.item() == pytest.approx(_deduped_by_hand(a, b, 7.0, groups), rel=1e-5)
    assert got.item() != pytest.approx(_infonce_by_hand(a, b, 7.0), rel=1e-3)


def test_distinct_captions_give_plain_infonce_and_siglip():
    ids, mask = _ids([[2, 5, 3], [2, 6, 3], [2, 5, 6, 3], [2, 6, 5, 3]])
    positives = same_text_positives(text_keys(ids, mask), text_keys(ids, mask))
    assert torch.equal(positives, torch.eye(4, dtype=torch.bool))
    a, b, scale = _unit(4, 8, 8), _unit(4, 8, 9), torch.tensor(6.0)
    torch.testing.assert_close(infonce_loss(a, b, a, b, scale, positives=positives), infonce_loss(a, b, a, b, scale))
    bias = torch.tensor(-2.0)
    torch.testing.assert_close(siglip_loss(a, b, a, b, scale, bias, positives=positives),
                               siglip_loss(a, b, a, b, scale, bias))


def test_siglip_labels_identical_captions_positive():
    ids, mask = _ids([[2, 5, 3], [2, 6, 3], [2, 5, 3]])
    positives = same_text_positives(text_keys(ids, mask), text_keys(ids, mask))
    a, b, scale, bias = _unit(3, 8, 10), _unit(3, 8, 11), 10.0, -3.0
    expected = 0.0
    for i in range(3):
        for j in range(3):
            z = 1.0 if positives[i, j] else -1.0
            expected += math.log1p(math.exp(-z * (scale * float(a[i] @ b[j]) + bias))) / 3
    got = siglip_loss(a, b, a, b, torch.tensor(scale), torch.tensor(bias), positives=positives)
    assert got.item() == pytest.approx(expected, rel=1e-5)


def test_model_dedupes_text_terms_only_when_configured():
    inputs = tiny_inputs(batch=6, seed=1)
    inputs["input_ids"][3] = inputs["input_ids"][0]  # two records with one scene caption
    inputs["attention_mask"][3] = inputs["attention_mask"][0]
    plain = tiny_model(mode="trimodal_fused").eval()(**inputs, return_loss=True)
    deduped = tiny_model(mode="trimodal_fused", dedupe_text_negatives=True).eval()(**inputs, return_loss=True)
    scale = tiny_model(mode="trimodal_fused").temperature_scale()
    positives = torch.eye(6, dtype=torch.bool)
    positives[0, 3] = positives[3, 0] = True
    rgb, text, fused = deduped.rgb_embeds, deduped.text_embeds, deduped.fused_embeds
    torch.testing.assert_close(deduped.loss_rgb_text, infonce_loss(rgb, text, rgb, text, scale, positives=positives))
    torch.testing.assert_close(deduped.loss_fused_text,
                               infonce_loss(fused, text, fused, text, scale, positives=positives))
    # the IR-aware captions are all distinct and the RGB<->IR term has no text: both as without the option
    torch.testing.assert_close(deduped.loss_ir_text, plain.loss_ir_text)
    torch.testing.assert_close(deduped.loss_rgb_ir, plain.loss_rgb_ir)
    assert not torch.allclose(deduped.loss_rgb_text, plain.loss_rgb_text)


def test_separate_rgb_ir_temperature():
    model = tiny_model(mode="trimodal", separate_rgb_ir_temperature=True)
    assert model.rgb_ir_logit_scale is not None and tiny_model(mode="trimodal").rgb_ir_logit_scale is None
    with torch.no_grad():
        model.rgb_ir_logit_scale.fill_(math.log(30.0))
    out = model.eval()(**tiny_inputs(), return_loss=True)
    rgb, ir, text = out.rgb_embeds, out.ir_embeds, out.text_embeds
    torch.testing.assert_close(out.loss_rgb_ir, infonce_loss(rgb, ir, rgb, ir, torch.tensor(30.0)))
    torch.testing.assert_close(out.logits_per_rgb_ir, 30.0 * rgb @ ir.t())
    torch.testing.assert_close(out.loss_rgb_text, infonce_loss(rgb, text, rgb, text, model.temperature_scale()))
    out.loss_rgb_ir.backward()
    assert model.rgb_ir_logit_scale.grad is not None and model.logit_scale.grad is None
