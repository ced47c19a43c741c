"""``python -m gpu_runner bench compose [--seconds S] [--preset P] [--crf C]``: finished videos' speed.

Speaks a product script of about 30 s with the offline voice, renders the talking head with the ``still``
renderer and encodes it (the job's main video), then composes every format from it exactly as a job does:
layout *presenter and product* with a product picture and a logo, captions burned in, one finished sound.

Prints, for each format, the real-time factor of composing and encoding it (seconds of video made per second
of wall-clock time), the encoder with its preset and CRF, and the megabytes per minute of video, next to the
``still`` renderer's own real-time factor measured in the same run: the machine's load moves both, so compare
the ratio rather than the absolute numbers. ``idle_cores`` is the factor the same work reaches with every core
to itself (video seconds per CPU second, times the cores): on a shared machine it separates the load from
the pipeline's own cost.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from ..encode import encode_mp4, rendition_encoder
from ..protocol import FORMATS, TOKEN_LENGTH, Brand, Composition, video_key
from ..renderers.base import NullReporter, RenderInput
from ..renderers.still import StillRenderer
from ..storage import LocalStorage
from ..tts.espeak import EspeakEngine
from .assets import file_asset
from .finish import compose_finished_videos

BENCH_SCRIPT = (
    "Meet the trail backpack. Thirty litres of room, padded straps that stay comfortable all day, and a rain "
    "cover tucked into its own pocket for the days that need it. The back panel breathes, the hip belt "
    "carries the weight, and every zip runs smoothly with gloves on. Side pockets hold two bottles, the lid "
    "keeps your map and snacks at hand, and the frame sheet keeps the load steady on rough ground. Pack it "
    "for a day hike or a weekend away: it is ready when you are. Order it today and it is on its way to you "
    "tomorrow morning."
)
BENCH_VOICE = "en-us"
ORGANIZATION = 1


def main(args: argparse.Namespace) -> int:
    """Run the benchmark described in this module's docstring; returns the exit status."""
    seconds = getattr(args, "seconds", None) or 30.0
    encoder = rendition_encoder()
    if getattr(args, "preset", None) or getattr(args, "crf", None):
        options = dict(encoder.options)
        options.update({"preset": args.preset} if args.preset else {})
        options.update({"crf": args.crf} if args.crf else {})
        encoder = dataclasses.replace(encoder, options=options)

    engine = EspeakEngine()
    engine.load()
    spoken = engine.synthesize(BENCH_SCRIPT, BENCH_VOICE)
    speech = dataclasses.replace(
        spoken.speech, samples=spoken.speech.samples[: int(seconds * spoken.speech.sample_rate)]
    )
    image = _presenter()
    with tempfile.TemporaryDirectory(prefix="gpu-runner-bench-compose-") as folder:
        work = Path(folder)
        storage = LocalStorage(work / "storage")
        composition = Composition(
            layout="presenter_product",
            formats=tuple(FORMATS),
            burn_captions=True,
            product_name="Trail backpack, 30 litres",
            product_price="€89.00",
            product_image_keys=(
                file_asset(storage, ORGANIZATION, "products", _png(_product_picture()), "png"),
            ),
            brand=Brand(logo_key=file_asset(storage, ORGANIZATION, "brand", _png(_logo()), "png")),
        )

        started, started_cpu = time.perf_counter(), time.process_time()
        stream = StillRenderer().render(RenderInput(image=image, speech=speech), NullReporter())
        head = encode_mp4(stream, speech, work / "video.mp4", work / "poster.jpg")
        still_s, still_cpu_s = time.perf_counter() - started, time.process_time() - started_cpu

        finished = compose_finished_videos(
            composition,
            output_key=video_key(ORGANIZATION, 1, "0" * TOKEN_LENGTH),
            storage=storage,
            presenter=image,
            head_video=head.video_path,
            speech=speech,
            script=BENCH_SCRIPT,
            timings=spoken.timings,
            fps=stream.fps,
            folder=work,
            reporter=NullReporter(),
            encoder=encoder,
        )

    print(
        f"compose bench: {speech.duration_s:.1f} s of espeak:{BENCH_VOICE} speech, layout presenter_product, "
        f"captions burned in, one product picture and a logo"
    )
    cores = os.cpu_count() or 1
    print(
        f"still renderer (render + encode, {stream.width}×{stream.height}): "
        f"{speech.duration_s / still_s:.2f}× real time "
        f"({_per_cores(speech.duration_s, still_cpu_s, cores):.2f}× on {cores} idle cores)"
    )
    header = ("format", "size", "x_realtime", "idle_cores", "encoder", "preset", "crf", "MB/min")
    print("{:<10} {:>10} {:>10} {:>10}  {:<10} {:<10} {:>4} {:>7}".format(*header))
    for composed in finished.renditions:
        rendition = composed.record
        minutes = rendition.duration_s / 60
        print(
            f"{rendition.format:<10} {f'{rendition.width}×{rendition.height}':>10} "
            f"{rendition.duration_s / composed.seconds:9.2f}× "
            f"{_per_cores(rendition.duration_s, composed.cpu_seconds, cores):9.2f}×  {rendition.encoder:<10} "
            f"{encoder.preset:<10} {encoder.quality:>4} {rendition.bytes / 1e6 / minutes:7.1f}"
        )
    for note in finished.notes:
        print(f"note: {note}")
    return 0


def _per_cores(video_s: float, cpu_s: float, cores: int) -> float:
    """The real-time factor the work would reach with every core to itself: video seconds per CPU second,
    times the cores. Beside the wall-clock factor it tells a busy machine from a slow pipeline."""
    return video_s * cores / cpu_s if cpu_s > 0 else float("inf")


def _png(picture: Image.Image) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def _presenter() -> Image.Image:
    try:
        from skimage import data

        return Image.fromarray(data.astronaut())
    except ImportError:  # scikit-image is a test extra; a gradient costs the encoder about as much
        ramp = np.linspace(0, 255, 768, dtype=np.uint8)
        return Image.fromarray(np.stack([np.tile(ramp, (768, 1))] * 3, axis=-1))


def _product_picture() -> Image.Image:
    """A photo-like product shot: a shaded backpack shape on a soft gradient (detail costs the encoder)."""
    y, x = np.mgrid[0:900, 0:900]
    backdrop = np.stack([230 - y / 12, 225 - y / 14, 215 - x / 20], axis=-1).astype(np.uint8)
    picture = Image.fromarray(backdrop)
    draw = ImageDraw.Draw(picture)
    draw.rounded_rectangle((250, 180, 650, 780), radius=90, fill=(40, 90, 60))
    draw.rounded_rectangle((310, 420, 590, 700), radius=40, fill=(30, 70, 48))
    draw.rectangle((300, 120, 600, 200), fill=(20, 40, 30))
    return picture


def _logo() -> Image.Image:
    logo = Image.new("RGBA", (400, 160), (0, 0, 0, 0))
    draw = ImageDraw.Draw(logo)
    draw.ellipse((0, 0, 160, 160), fill=(230, 120, 30, 255))
    draw.rectangle((180, 50, 400, 110), fill=(255, 255, 255, 255))
    return logo
