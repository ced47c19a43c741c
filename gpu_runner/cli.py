"""``python -m gpu_runner`` (also installed as ``gpu-runner``): serve the queue, render locally, fetch, bench.

serve                                  consume video-render until SIGTERM/SIGINT
render --image X --script "…" -o out.mp4 [--voice V] [--renderer R]
       [--layout L [--formats F,…] [--captions] [--product-image P …] [--product-name N] [--product-price €]
        [--logo G]]
                                       render locally: no queue, no Redis; writes out.mp4, out.jpg, out.vtt,
                                       and with a layout out.{format}.mp4 and out.{format}.jpg for each format
fetch-models [--dir D]                 download the Hallo2 weights
make-demo-chain DIR                    write a demo C2PA signing chain into DIR; prints the settings to use
bench still                            the still renderer + encoder speed, as a multiple of real time
bench compose [--seconds S] [--preset P] [--crf C]
                                       composing and encoding every format, beside the still renderer
bench hallo2 [--tiny|--full] [--steps N] [--seconds S] [--random-weights DIR] [--json PATH]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from .protocol import FORMATS, LAYOUTS, TOKEN_LENGTH, Composition, Disclosure, video_key

if TYPE_CHECKING:
    from PIL import Image

    from .compose.finish import FinishedVideos
    from .jobs import RenderedFiles
    from .renderers.base import StageReporter
    from .tts import VoicedScript

# Local renders file their product pictures and logo as this organization's, in a scratch folder.
LOCAL_ORGANIZATION = 1

BENCH_SECONDS = (5.0, 15.0, 30.0)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the command; returns the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return int(args.handler(args) or 0)


def build_parser() -> argparse.ArgumentParser:
    """The command line; public so the compose file's commands can be checked against it."""
    parser = argparse.ArgumentParser(prog="gpu_runner", description="The AI video GPU runner.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="consume the render queue with the models loaded once")
    serve.set_defaults(handler=_serve)

    render = commands.add_parser("render", help="render one video locally, without the queue")
    render.add_argument("--image", required=True, type=Path, help="the presenter photo")
    render.add_argument("--script", required=True, help="what the presenter says")
    render.add_argument("--voice", default=None, help="e.g. espeak:en-us or edge:en-US-JennyNeural")
    render.add_argument("--renderer", default=None, help="still or hallo2 (default: GPU_RUNNER_RENDERER)")
    render.add_argument("-o", "--output", required=True, type=Path, help="the MP4 to write")
    finished = render.add_argument_group("finished videos", "compose each format from the rendered head")
    finished.add_argument("--layout", choices=LAYOUTS, default=None, help="the layout to compose")
    finished.add_argument("--formats", default=None, help=f"comma-separated, of: {', '.join(FORMATS)}")
    finished.add_argument(
        "--captions", action=argparse.BooleanOptionalAction, default=None, help="burn captions in"
    )
    finished.add_argument("--product-image", action="append", type=Path, default=[], help="repeat for more")
    finished.add_argument("--product-name", default="")
    finished.add_argument("--product-price", default="")
    finished.add_argument("--logo", type=Path, default=None)
    render.set_defaults(handler=_render)

    fetch = commands.add_parser("fetch-models", help="download the Hallo2 weights")
    fetch.add_argument("--dir", default=None, help="target folder (default: HALLO_MODELS_DIR)")
    fetch.set_defaults(handler=_fetch_models)

    chain = commands.add_parser(
        "make-demo-chain", help="write a demo certificate chain for signing content credentials (C2PA)"
    )
    chain.add_argument("dir", type=Path, help="the folder to write the chain and key into")
    chain.set_defaults(handler=_make_demo_chain)

    bench = commands.add_parser("bench", help="measure speed")
    benches = bench.add_subparsers(dest="bench", required=True)
    benches.add_parser("still", help="still renderer + encoder").set_defaults(handler=_bench_still)
    compose = benches.add_parser("compose", help="composing and encoding every format of a finished video")
    compose.add_argument("--seconds", type=float, default=None, help="seconds of speech (default 30)")
    compose.add_argument("--preset", default=None, help="x264 preset to try instead of the runner's")
    compose.add_argument("--crf", default=None, help="x264 CRF to try instead of the runner's")
    compose.set_defaults(handler=_bench_compose)
    hallo2 = benches.add_parser("hallo2", help="the Hallo2 renderer")
    size = hallo2.add_mutually_exclusive_group()
    size.add_argument("--tiny", action="store_true", help="tiny random-weight models (no download needed)")
    size.add_argument("--full", action="store_true", help="the released weights from HALLO_MODELS_DIR")
    hallo2.add_argument("--steps", type=int, default=None, help="denoising steps")
    hallo2.add_argument(
        "--seconds", type=float, default=None, help="render only this much of the ~7 s of speech"
    )
    hallo2.add_argument(
        "--random-weights",
        type=Path,
        default=None,
        help="with --full and no released weights: keep the random ones here and reuse them next time",
    )
    hallo2.add_argument("--json", type=Path, default=None, help="also write the figures to this JSON file")
    hallo2.set_defaults(handler=_bench_hallo2)
    return parser


def _serve(args: argparse.Namespace) -> int:
    # dramatiq reads this when first imported; set it before anything imports dramatiq. (worker.start_worker
    # also pins the prefetch on the worker itself, in case dramatiq was imported earlier.)
    os.environ["dramatiq_queue_prefetch"] = "1"
    from .brokers import BrokerSetupError
    from .settings import RunnerSettings, SettingsError
    from .worker import serve

    try:
        serve(RunnerSettings.from_env())
    except (SettingsError, BrokerSetupError) as exc:
        # What to fix, in one line, instead of a traceback: the runner refuses to start rather than limp.
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def _render(args: argparse.Namespace) -> int:
    from .credentials import ContentCredentials, GenerationFacts, SigningSetupError
    from .events import JobReporter
    from .images import load_presenter_image
    from .jobs import clean_script, render_files, speak_script
    from .renderers import create_renderer
    from .renderers.base import RenderRefused
    from .settings import RunnerSettings
    from .tts import TTSError, UnknownVoice, build_speech_service

    settings = RunnerSettings.from_env()
    if args.renderer:
        settings = replace(settings, renderer=args.renderer)
        settings.validate()
    output: Path = args.output
    if output.suffix != ".mp4":
        print(f"error: the output must end in .mp4, got {output}", file=sys.stderr)
        return 2
    try:
        # A local render is signed as a served job is, and refused on the same grounds.
        credentials = ContentCredentials.from_settings(settings)
    except SigningSetupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        text = clean_script(args.script)
        image = load_presenter_image(args.image.read_bytes(), name=str(args.image))
        speech = build_speech_service(
            default_voice=settings.default_voice,
            offline_voice=settings.offline_voice,
            engines=settings.voice_engines,
        )
        renderer = create_renderer(settings.renderer, settings)
        speech.load()
        renderer.load()
        # Locally nobody listens for events; the reporter is kept for its stage timings.
        reporter = JobReporter("local", 1, publish=lambda event: None)
        reporter.enter("tts")
        voiced = speak_script(speech, text, args.voice or settings.default_voice, settings.max_audio_seconds)
        with tempfile.TemporaryDirectory(prefix="gpu-runner-render-") as folder:
            label = Disclosure()  # a local render is AI-generated video like any other
            files = render_files(renderer, image, text, voiced, reporter, Path(folder), disclosure=label)
            finished = (
                _compose(args, image, text, voiced, files, reporter, Path(folder)) if args.layout else None
            )
            reporter.enter("upload")  # here: signing, then moving the files beside the requested output
            facts = GenerationFacts(
                "local", renderer.name, renderer.weights(), voiced.engine, voiced.voice, provenance=None
            )
            signing = [(c.video_path, c.poster_path) for c in (finished.renditions if finished else [])]
            # The main video last: the label printed is its manifest's.
            for video, poster in [*signing, (files.video.video_path, files.video.poster_path)]:
                manifest = credentials.sign_video(video, facts)
                credentials.sign_poster(poster, facts)
            output.parent.mkdir(parents=True, exist_ok=True)
            for composed in finished.renditions if finished else []:
                os.replace(composed.video_path, output.with_name(f"{output.stem}.{composed.format}.mp4"))
                os.replace(composed.poster_path, output.with_name(f"{output.stem}.{composed.format}.jpg"))
            os.replace(files.video.video_path, output)
            os.replace(files.video.poster_path, output.with_suffix(".jpg"))
            os.replace(files.captions_path, output.with_suffix(".vtt"))
    except (RenderRefused, UnknownVoice, TTSError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    video = files.video
    size = output.stat().st_size  # as signed
    print(f"wrote {output} ({video.width}×{video.height}, {video.duration_s:.2f} s, {size} bytes)")
    print(f"voice: {voiced.voice} (engine {voiced.engine}; asked for {voiced.requested_voice})")
    print(f"renderer: {renderer.name}, weights: {renderer.weights()}")
    signed = credentials.record(manifest)
    print(
        f"content credentials: signed by {signed['issuer']} (manifest {signed['manifest']})"
        if signed["signed"]
        else f"content credentials: not signed ({signed['reason']})"
    )
    for composed in finished.renditions if finished else []:
        record = composed.record
        written = output.with_name(f"{output.stem}.{record.format}.mp4")
        print(
            f"wrote {written} ({record.width}×{record.height}, "
            f"{record.duration_s:.2f} s, layout {record.layout}, captions "
            f"{'burned in' if record.captions_burned else 'not burned in'}, {record.encoder})"
        )
    for note in [*voiced.fallbacks, *files.renderer_fallbacks, *(finished.notes if finished else [])]:
        print(f"fallback: {note}")
    print("timings: " + ", ".join(f"{stage} {seconds:.2f} s" for stage, seconds in reporter.timings.items()))
    return 0


def _compose(
    args: argparse.Namespace,
    image: Image.Image,
    text: str,
    voiced: VoicedScript,
    files: RenderedFiles,
    reporter: StageReporter,
    folder: Path,
) -> FinishedVideos:
    """The finished videos ``args`` ask for, composed from the head in ``files`` as a job composes them."""
    from .compose.assets import file_asset
    from .jobs import compose_files
    from .storage import LocalStorage

    storage = LocalStorage(folder / "assets")

    def filed(kind: str, path: Path) -> str:
        return file_asset(storage, LOCAL_ORGANIZATION, kind, path.read_bytes(), path.suffix.lower())

    data = {
        "layout": args.layout,
        "product_name": args.product_name,
        "product_price": args.product_price,
        "product_image_keys": [filed("products", path) for path in args.product_image],
        "brand": {"logo_key": filed("brand", args.logo)} if args.logo else {},
    }
    if args.formats:
        data["formats"] = [name.strip() for name in args.formats.split(",")]
    if args.captions is not None:
        data["burn_captions"] = args.captions
    composition = Composition.from_dict(data, LOCAL_ORGANIZATION)
    output_key = video_key(LOCAL_ORGANIZATION, 1, "0" * TOKEN_LENGTH)
    return compose_files(
        composition, output_key, storage, image, text, voiced, files, reporter, disclosure=Disclosure()
    )


def _make_demo_chain(args: argparse.Namespace) -> int:
    from .signing_chain import make_demo_chain

    chain, key = make_demo_chain(args.dir)
    # Only the settings on stdout, so it can be appended to an env file as it is.
    print(
        "A demo chain no C2PA validator trusts: for trying the runner out, never for published videos.",
        file=sys.stderr,
    )
    print(f"GPU_RUNNER_C2PA_CERT={chain.resolve()}")
    print(f"GPU_RUNNER_C2PA_KEY={key.resolve()}")
    return 0


def _bench_still(args: argparse.Namespace) -> int:
    import numpy as np

    from .encode import encode_mp4
    from .renderers.base import NullReporter, RenderInput, Speech
    from .renderers.still import StillRenderer

    renderer = StillRenderer()
    renderer.load()
    image = _bench_image()
    rate = 22050
    print("audio_s  wall_s  x_realtime")
    for seconds in BENCH_SECONDS:
        # A quiet tone: the encoder's cost does not depend on what is said.
        t = np.arange(int(seconds * rate)) / rate
        speech = Speech(samples=(0.1 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), sample_rate=rate)
        with tempfile.TemporaryDirectory(prefix="gpu-runner-bench-") as folder:
            started = time.perf_counter()
            stream = renderer.render(RenderInput(image=image, speech=speech), NullReporter())
            encode_mp4(stream, speech, Path(folder) / "v.mp4", Path(folder) / "p.jpg")
            wall = time.perf_counter() - started
        print(f"{seconds:7.1f}  {wall:6.2f}  {seconds / wall:9.1f}×")
    return 0


def _bench_image() -> Image.Image:

    from PIL import Image

    try:
        from skimage import data

        return Image.fromarray(data.astronaut())
    except ImportError:  # scikit-image is a test/ML extra; a gradient costs the encoder about as much
        import numpy as np

        ramp = np.linspace(0, 255, 768, dtype=np.uint8)
        return Image.fromarray(np.stack([np.tile(ramp, (768, 1))] * 3, axis=-1))


def _fetch_models(args: argparse.Namespace) -> int:
    from .renderers.hallo2.weights import fetch_models_main

    return int(fetch_models_main(args) or 0)


def _bench_compose(args: argparse.Namespace) -> int:
    from .compose.bench import main as bench_main

    return int(bench_main(args) or 0)


def _bench_hallo2(args: argparse.Namespace) -> int:
    from .renderers.hallo2.bench import main as bench_main

    return int(bench_main(args) or 0)
