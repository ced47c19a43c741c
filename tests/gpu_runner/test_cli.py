"""The command line: a local render writes the three files and says what produced them."""

from __future__ import annotations

import argparse
import os
import sys
import time
import types
from pathlib import Path
from typing import Any

import av
import pytest
from PIL import Image

from gpu_runner.cli import main
from gpu_runner.compose.finish import FinishedVideos, compose_finished_videos
from gpu_runner.encode import rendition_encoder


def test_render_writes_video_poster_and_captions(
    tmp_path: Path, face_jpeg: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    image = tmp_path / "face.jpg"
    image.write_bytes(face_jpeg)
    output = tmp_path / "out" / "lamp.mp4"
    status = main(
        [
            "render",
            "--image",
            str(image),
            "--script",
            "A <i>warm</i> lamp.",
            "--voice",
            "en-US-AriaNeural",
            "-o",
            str(output),
        ]
    )
    printed = capsys.readouterr().out
    assert status == 0
    with av.open(str(output)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
    assert output.with_suffix(".jpg").read_bytes()[:2] == b"\xff\xd8"
    assert "warm lamp." in output.with_suffix(".vtt").read_text()
    assert "voice: espeak:en-us (engine espeak; asked for edge:en-US-AriaNeural)" in printed
    assert "weights: none (still image, no talking head)" in printed
    assert "fallback: voice edge:en-US-AriaNeural was unavailable" in printed


def test_render_with_a_layout_composes_each_format_beside_the_video(
    tmp_path: Path, face_jpeg: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    image, product = tmp_path / "face.jpg", tmp_path / "mug.png"
    image.write_bytes(face_jpeg)
    Image.new("RGB", (400, 400), (0, 200, 0)).save(product)
    output = tmp_path / "out" / "mug.mp4"
    argv = ["render", "--image", str(image), "--script", "A sturdy mug.", "--voice", "espeak:en-us"]
    argv += ["-o", str(output), "--layout", "presenter_product", "--formats", "square", "--captions"]
    status = main([*argv, "--product-image", str(product), "--product-name", "Mug", "--product-price", "€8"])
    printed = capsys.readouterr().out
    assert status == 0
    with av.open(str(output.with_name("mug.square.mp4"))) as container:
        video = container.streams.video[0].codec_context
        assert (video.width, video.height, video.profile) == (1080, 1080, "High")
    with Image.open(output.with_name("mug.square.jpg")) as poster:
        assert poster.size == (1080, 1080)
    assert f"wrote {output.with_name('mug.square.mp4')} (1080×1080, " in printed
    assert "layout presenter_product, captions burned in, " in printed
    assert "compose " in printed.splitlines()[-1]  # the timings line names the stage


def test_render_refuses_an_unknown_format_naming_the_valid_ones(
    tmp_path: Path, face_jpeg: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    image = tmp_path / "face.jpg"
    image.write_bytes(face_jpeg)
    argv = ["render", "--image", str(image), "--script", "Hi.", "-o", str(tmp_path / "hi.mp4")]
    assert main([*argv, "--layout", "presenter", "--formats", "portrait"]) == 1
    assert "unknown format 'portrait'; valid formats: landscape, square, vertical" in capsys.readouterr().err


def test_render_reports_a_bad_image(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image = tmp_path / "notes.jpg"
    image.write_text("not a photo")
    assert main(["render", "--image", str(image), "--script", "Hi.", "-o", str(tmp_path / "o.mp4")]) == 1
    assert "could not be read as an image" in capsys.readouterr().err


def test_bench_still_prints_speed(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("gpu_runner.cli.BENCH_SECONDS", (1.0, 2.0))
    # The bench's clock reads these in turn: each render and encode takes 0.5 s, so its figures are known.
    readings = iter([10.0, 10.5, 20.0, 20.5])
    monkeypatch.setattr("gpu_runner.cli.time", types.SimpleNamespace(perf_counter=lambda: next(readings)))
    assert main(["bench", "still"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split() for line in lines] == [
        ["audio_s", "wall_s", "x_realtime"],
        ["1.0", "0.50", "2.0×"],
        ["2.0", "0.50", "4.0×"],
    ]


def test_bench_compose_prints_each_format_beside_the_still_renderer(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    measured: dict[str, tuple[float, int, float, float]] = {}

    def compose_and_measure(*args: Any, **kwargs: Any) -> FinishedVideos:
        """The real composition, and what each rendition's file holds while it is still on disk."""
        finished = compose_finished_videos(*args, **kwargs)
        for composed in finished.renditions:
            with av.open(str(composed.video_path)) as container:
                stream = container.streams.video[0]
                duration_s = float(stream.frames / stream.average_rate)
            size = composed.video_path.stat().st_size
            measured[composed.format] = (duration_s, size, composed.seconds, composed.cpu_seconds)
        return finished

    monkeypatch.setattr("gpu_runner.compose.bench.compose_finished_videos", compose_and_measure)
    started = time.perf_counter()
    assert main(["bench", "compose", "--seconds", "1"]) == 0
    wall_s = time.perf_counter() - started
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("compose bench: 1.0 s of espeak:en-us speech, layout presenter_product")
    assert lines[1].startswith("still renderer (render + encode, 512×512): ")
    assert lines[2].split() == [
        "format",
        "size",
        "x_realtime",
        "idle_cores",
        "encoder",
        "preset",
        "crf",
        "MB/min",
    ]
    rows = [line.split() for line in lines[3:6]]
    assert [row[:2] for row in rows] == [
        ["landscape", "1920×1080"],
        ["square", "1080×1080"],
        ["vertical", "1080×1920"],
    ]
    encoder = rendition_encoder()  # libx264 superfast CRF 23 here; NVENC on a GPU that has it
    assert {tuple(row[4:7]) for row in rows} == {(encoder.codec, encoder.preset, encoder.quality)}
    cores = os.cpu_count() or 1
    for row in rows:
        duration_s, size, seconds, cpu_seconds = measured[row[0]]
        # The figures are those of the file made, at the pace the bench measured, to the printed rounding.
        x_realtime, idle_cores = (float(figure.rstrip("×")) for figure in row[2:4])
        assert x_realtime == pytest.approx(duration_s / seconds, rel=0.01, abs=0.006)
        assert idle_cores == pytest.approx(duration_s * cores / cpu_seconds, rel=0.01, abs=0.006)
        assert float(row[7]) == pytest.approx(size / 1e6 / (duration_s / 60), rel=0.01, abs=0.06)
        # No format can have been made faster than the whole bench ran.
        assert seconds < wall_s and x_realtime >= duration_s / wall_s - 0.006
    assert lines[6:] == []  # no notes: the logo, the picture and the captions were all used


@pytest.mark.parametrize(
    ("argv", "module", "function", "expected"),
    [
        (
            ["fetch-models", "--dir", "/m"],
            "gpu_runner.renderers.hallo2.weights",
            "fetch_models_main",
            {"dir": "/m"},
        ),
        (
            ["bench", "compose", "--seconds", "3", "--preset", "veryfast", "--crf", "21"],
            "gpu_runner.compose.bench",
            "main",
            {"seconds": 3.0, "preset": "veryfast", "crf": "21"},
        ),
        (
            ["bench", "hallo2", "--tiny", "--steps", "3"],
            "gpu_runner.renderers.hallo2.bench",
            "main",
            {"steps": 3},
        ),
    ],
)
def test_commands_delegate_to_their_owners(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], module: str, function: str, expected: dict
) -> None:
    calls: list[argparse.Namespace] = []
    stand_in = types.ModuleType(module)
    setattr(stand_in, function, lambda args: calls.append(args) or 7)
    monkeypatch.setitem(sys.modules, module, stand_in)
    assert main(argv) == 7
    assert len(calls) == 1
    assert {name: getattr(calls[0], name) for name in expected} == expected
