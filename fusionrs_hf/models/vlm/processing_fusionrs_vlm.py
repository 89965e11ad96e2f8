"""FusionRSVLMProcessor: image processor + tokenizer + chat template for FusionRSVLM.

Each `<rgb>` / `<ir>` placeholder in the text is expanded into `num_image_tokens` copies, one per image token
the model scatters in. This file travels with saved checkpoints (trust_remote_code): no package imports.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from transformers import BatchFeature
from transformers.processing_utils import ProcessorMixin

RGB_TOKEN, IR_TOKEN = "<rgb>", "<ir>"
USER_TOKEN, ASSISTANT_TOKEN = "<|user|>", "<|assistant|>"
VLM_SPECIAL_TOKENS = [RGB_TOKEN, IR_TOKEN, USER_TOKEN, ASSISTANT_TOKEN]

# Compact on purpose (every prompt token costs CPU time): bos, then per turn a role token and its content;
# an image part becomes the placeholder of its view (`{"type": "image", "view": "ir"}`; default RGB).
CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{% if message['role'] == 'user' %}{{ '<|user|>' }}{% else %}{{ '<|assistant|>' }}{% endif %}"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for part in message['content'] %}"
    "{% if part['type'] == 'image' %}{% if part.get('view', 'rgb') == 'ir' %}{{ '<ir>' }}{% else %}{{ '<rgb>' }}{% endif %}"
    "{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}"
    "{% endfor %}{% endif %}"
    "{% if message['role'] == 'assistant' %}{{ eos_token }}{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}"
)


def ir_as_three_channels(image):
    """An IR view (PIL `L`/`I`/`F`, or an (H, W) array) as three identical channels, so one image processor and
    one vision tower serve both views."""
    if isinstance(image, Image.Image):
        return image if image.mode == "RGB" else image.convert("L").convert("RGB")
    array = np.asarray(image)
    if array.ndim == 2:
        return np.repeat(array[..., None], 3, axis=-1)
    if array.ndim == 3 and array.shape[-1] == 1:
        return np.repeat(array, 3, axis=-1)
    return array


class FusionRSVLMProcessor(ProcessorMixin):
    r"""
    Prepares FusionRSVLM inputs.

    `processor(text=..., rgb_images=..., ir_images=...)` returns `input_ids`, `attention_mask`, `pixel_values`
    (RGB) and `ir_pixel_values`. Write one `<rgb>` / `<ir>` per image in the text (or build it with
    `apply_chat_template`); images are matched to placeholders in reading order across the batch. The text is
    tokenized as it is (`add_special_tokens=False`): the chat template already writes the bos token.
    `images=` is an alias of `rgb_images=`.
    """

    def __init__(self, image_processor=None, tokenizer=None, chat_template=None, num_image_tokens: int = 16,
                 rgb_token: str = RGB_TOKEN, ir_token: str = IR_TOKEN, **kwargs):
        self.num_image_tokens = num_image_tokens
        self.rgb_token, self.ir_token = rgb_token, ir_token
        super().__init__(image_processor, tokenizer, chat_template=chat_template or CHAT_TEMPLATE)

    @property
    def rgb_token_id(self) -> int:
        return self.tokenizer.convert_tokens_to_ids(self.rgb_token)

    @property
    def ir_token_id(self) -> int:
        return self.tokenizer.convert_tokens_to_ids(self.ir_token)

    def expand_placeholders(self, text: str) -> str:
        return (text.replace(self.rgb_token, self.rgb_token * self.num_image_tokens)
                .replace(self.ir_token, self.ir_token * self.num_image_tokens))

    def __call__(self, text=None, rgb_images=None, ir_images=None, images=None, padding="longest",
                 padding_side=None, truncation=False, max_length=None, return_tensors="pt", **kwargs):
        if images is not None and rgb_images is not None:
            raise ValueError("pass RGB images as `rgb_images=` or `images=`, not both")
        rgb_images = rgb_images if rgb_images is not None else images
        if text is None and rgb_images is None and ir_images is None:
            raise ValueError("give text and/or rgb_images / ir_images")
        data = {}
        if text is not None:
            texts = [text] if isinstance(text, str) else list(text)
            for token, given, view in ((self.rgb_token, rgb_images, "RGB"), (self.ir_token, ir_images, "IR")):
                n_placeholders = sum(t.count(token) for t in texts)
                n_images = 0 if given is None else len(_as_list(given))
                if n_placeholders != n_images:
                    raise ValueError(f"{n_placeholders} {view} placeholder(s) {token!r} in the text but {n_images} "
                                     f"{view} image(s): write one placeholder per image")
            tokenizer_kwargs = {"padding_side": padding_side} if padding_side else {}
            data.update(self.tokenizer([self.expand_placeholders(t) for t in texts], add_special_tokens=False,
                                       padding=padding, truncation=truncation, max_length=max_length,
                                       return_tensors=return_tensors, **tokenizer_kwargs))
        if rgb_images is not None:
            rgb = [im.convert("RGB") if isinstance(im, Image.Image) else im for im in _as_list(rgb_images)]
            data["pixel_values"] = self.image_processor(rgb, return_tensors=return_tensors)["pixel_values"]
        if ir_images is not None:
            ir = [ir_as_three_channels(im) for im in _as_list(ir_images)]
            data["ir_pixel_values"] = self.image_processor(ir, return_tensors=return_tensors)["pixel_values"]
        return BatchFeature(data=data, tensor_type=return_tensors)

    def batch_decode(self, *args, **kwargs):
        return self.tokenizer.batch_decode(*args, **kwargs)

    def decode(self, *args, **kwargs):
        return self.tokenizer.decode(*args, **kwargs)

    @property
    def model_input_names(self):
        return ["input_ids", "attention_mask", "pixel_values", "ir_pixel_values"]


def _as_list(x):
    """One image -> [image]; any other iterable of images (list, tuple, a datasets column) -> list."""
    if isinstance(x, (Image.Image, np.ndarray)) or hasattr(x, "shape"):
        return [x]
    return list(x)


__all__ = ["FusionRSVLMProcessor", "CHAT_TEMPLATE", "VLM_SPECIAL_TOKENS", "RGB_TOKEN", "IR_TOKEN",
           "USER_TOKEN", "ASSISTANT_TOKEN"]
