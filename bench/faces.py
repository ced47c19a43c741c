"""``python -m bench.faces [--repeat N] [--size S]``: how long finding and framing the presenter's face takes.

Builds a :class:`~gpu_runner.faces.FaceFinder` (MediaPipe's face detection and face mesh, both inside its
wheel, on the CPU), then frames each sample photo ``N`` times after one warm-up call, and prints per photo its
size, whether the crop had to be padded, and the median and slowest milliseconds of one ``find``. A job does
this once, before the renderer runs; MediaPipe keeps it to a few milliseconds on a CPU, which is the figure to
watch. Nothing is asserted: the figures depend on the machine and on what else runs on it.

The photos are scikit-image's astronaut (a face in a larger portrait) and insightface's close-up of Tom Hanks
(a face too close to the edges, so the crop repeats them): run from the repository root with the test
dependencies installed (``make setup``).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from PIL import Image

from gpu_runner.faces import RENDER_SIZE, FaceFinder

DEFAULT_REPEAT = 20


def sample_photos() -> dict[str, Image.Image]:
    """The benchmark's photos by name."""
    try:
        import insightface
        from skimage import data
    except ImportError as exc:
        raise SystemExit(
            f"error: the face benchmark's photos come with scikit-image and insightface ({exc}); "
            "install the test dependencies with `make setup`"
        ) from None
    close_up = Path(insightface.__file__).parent / "data" / "images" / "Tom_Hanks_54745.png"
    return {
        "astronaut": Image.fromarray(data.astronaut()),
        "close-up": Image.open(close_up).convert("RGB"),
    }


def run(repeat: int, size: int) -> None:
    """Time ``repeat`` calls of ``FaceFinder.find`` on each sample photo and print the figures."""
    photos = sample_photos()
    started = time.perf_counter()
    finder = FaceFinder()
    build_ms = (time.perf_counter() - started) * 1000
    with finder:
        print(f"face bench: FaceFinder.find, {repeat} calls per photo after one warm-up, framed to {size}²")
        print(f"models built in {build_ms:.0f} ms")
        print(f"{'photo':<10} {'size':>9} {'padded':>6} {'median_ms':>9} {'max_ms':>7}")
        for name, photo in photos.items():
            face = finder.find(photo, size=size)
            times_ms = []
            for _ in range(repeat):
                started = time.perf_counter()
                finder.find(photo, size=size)
                times_ms.append((time.perf_counter() - started) * 1000)
            print(
                f"{name:<10} {f'{photo.width}×{photo.height}':>9} {'yes' if face.padded else 'no':>6} "
                f"{statistics.median(times_ms):9.1f} {max(times_ms):7.1f}"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.faces", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeat", type=int, default=DEFAULT_REPEAT, help=f"calls per photo (default {DEFAULT_REPEAT})"
    )
    parser.add_argument(
        "--size", type=int, default=RENDER_SIZE, help=f"side of the framed square (default {RENDER_SIZE})"
    )
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.size < 1:
        parser.error("--repeat and --size must be at least 1")
    run(args.repeat, args.size)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
