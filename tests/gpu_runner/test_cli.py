"""The command line: a local render writes the three files and says what produced them."""

from __future__ import annotations

import argparse
import sys
import types
from pathlib import Path

import av
import pytest

from gpu_runner.cli import main


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


def test_render_reports_a_bad_image(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image = tmp_path / "notes.jpg"
    image.write_text("not a photo")
    assert main(["render", "--image", str(image), "--script", "Hi.", "-o", str(tmp_path / "o.mp4")]) == 1
    assert "could not be read as an image" in capsys.readouterr().err


def test_bench_still_prints_speed(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("gpu_runner.cli.BENCH_SECONDS", (1.0,))
    assert main(["bench", "still"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].split() == ["audio_s", "wall_s", "x_realtime"]
    assert float(lines[1].split()[2].rstrip("×")) > 0


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
