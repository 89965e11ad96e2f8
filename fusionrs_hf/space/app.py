"""The Gradio UI of the FusionRS Space, built around a `FusionRSDemo`."""

from __future__ import annotations

import logging

import gradio as gr

from .demo import DemoError, FusionRSDemo

logger = logging.getLogger(__name__)

DESCRIPTION = """# FusionRS: RGB + infrared remote sensing
Upload an aerial RGB image (and, if you have one, a real infrared image of the same scene at the same size).
The Space makes an **infrared-style view** (translated from RGB, not a temperature measurement), writes a
**scene caption** and an **IR-aware caption** with FusionRSVLM, answers a **question** using both views, and
retrieves the **closest captions** with FusionRSCLIP."""


def _guard(function):
    """User mistakes become a clear message in the UI; anything else is logged and reported without a trace."""

    def wrapped(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except DemoError as err:
            raise gr.Error(str(err)) from err
        except gr.Error:
            raise
        except Exception as err:  # noqa: BLE001 - the UI must never show a stack trace
            logger.exception("request failed")
            raise gr.Error("Something went wrong while processing this image; please try another one.") from err

    return wrapped


def build_app(demo: FusionRSDemo, examples: list[str] | None = None, concurrency: int = 2) -> gr.Blocks:
    def describe(rgb_file, ir_file, progress=gr.Progress()):
        result = demo.run(rgb_file, ir_file, progress=lambda fraction, desc=None: progress(fraction, desc=desc))
        rows = [[caption, score] for caption, score in result.retrieved]
        return (result.ir_view, result.ir_source, result.scene_caption or "(no VLM loaded)",
                result.ir_caption or "(no VLM loaded)", rows)

    def ask(rgb_file, ir_file, question):
        if not (question or "").strip():
            raise DemoError("Please type a question about the scene first.")
        if demo.vlm is None:
            raise DemoError("No FusionRSVLM is loaded in this Space, so it cannot answer questions.")
        return demo.run(rgb_file, ir_file, question).answer

    with gr.Blocks(title="FusionRS") as app:
        gr.Markdown(DESCRIPTION)
        with gr.Row():
            with gr.Column():
                rgb_file = gr.File(label="Aerial RGB image", file_types=["image"], type="filepath")
                ir_file = gr.File(label="Infrared image of the same scene (optional)", file_types=["image"],
                                  type="filepath")
                describe_button = gr.Button("Describe", variant="primary")
                question = gr.Textbox(label="Question about the scene", placeholder="What kind of scene is this?")
                ask_button = gr.Button("Ask")
            with gr.Column():
                ir_view = gr.Image(label="Infrared view", type="pil", image_mode="L")
                ir_source = gr.Textbox(label="Infrared view source", interactive=False)
                scene_caption = gr.Textbox(label="Scene caption (FusionRSVLM, RGB)", interactive=False)
                ir_caption = gr.Textbox(label="IR-aware caption (FusionRSVLM, IR view)", interactive=False)
                answer = gr.Textbox(label="Answer (both views)", interactive=False)
                retrieved = gr.Dataframe(headers=["closest captions (FusionRSCLIP)", "score"], interactive=False)
        if examples:
            gr.Examples(examples=[[path] for path in examples], inputs=[rgb_file])
        describe_button.click(_guard(describe), [rgb_file, ir_file],
                              [ir_view, ir_source, scene_caption, ir_caption, retrieved],
                              api_name="describe", concurrency_limit=concurrency)
        ask_button.click(_guard(ask), [rgb_file, ir_file, question], [answer], api_name="ask",
                         concurrency_limit=concurrency)
    return app.queue(max_size=32, default_concurrency_limit=concurrency)
