"""WebVTT captions: cue timing, line length, sentence breaks and escaping."""

from __future__ import annotations

from gpu_runner.captions import LINE_CHARS, Cue, build_webvtt, caption_cues, cue_at, webvtt_of
from gpu_runner.tts.base import Timing


def cues(vtt: str) -> list[tuple[str, list[str]]]:
    blocks = vtt.strip().split("\n\n")
    assert blocks[0] == "WEBVTT"
    return [(block.split("\n")[0], block.split("\n")[1:]) for block in blocks[1:]]


def test_cues_hold_at_most_two_short_lines() -> None:
    script = " ".join(["lamp"] * 60)
    parsed = cues(build_webvtt(script, [], 30.0))
    assert len(parsed) > 1
    for _timing, lines in parsed:
        assert 1 <= len(lines) <= 2
        assert all(len(line) <= LINE_CHARS for line in lines)
    assert parsed[0][0].startswith("00:00:00.000 --> ")
    assert parsed[-1][0].endswith("--> 00:00:30.000")


def test_engine_timings_are_used_and_sentences_start_new_cues() -> None:
    timings = [Timing("Hello.", 0.1, 0.6), Timing("Buy", 1.0, 1.2), Timing("now!", 1.2, 1.7)]
    parsed = cues(build_webvtt("Hello. Buy now!", timings, 2.0))
    assert parsed == [
        ("00:00:00.100 --> 00:00:01.000", ["Hello."]),
        ("00:00:01.000 --> 00:00:01.700", ["Buy now!"]),
    ]


def test_cue_text_is_escaped() -> None:
    vtt = build_webvtt("a --> b <c>", [Timing("a", 0, 1), Timing("-->", 1, 2), Timing("<c>", 2, 3)], 3.0)
    assert "--&gt;" in vtt and "&lt;c&gt;" in vtt
    assert vtt.count("-->") == 1


def test_plain_text_is_escaped_exactly_once_and_the_rest_kept() -> None:
    vtt = build_webvtt('Salt & pepper <script> "crisp" it\'s 🐟', [], 3.0)
    assert cues(vtt)[0][1] == ['Salt &amp; pepper &lt;script&gt; "crisp"', "it's 🐟"]


def test_cues_are_one_segmentation_for_webvtt_and_burned_captions() -> None:
    timings = [Timing("Hello.", 0.1, 0.6), Timing("Buy", 1.0, 1.2), Timing("now!", 1.2, 1.7)]
    found = caption_cues("Hello. Buy now!", timings, 2.0)
    assert found == [Cue(("Hello.",), 0.1, 1.0), Cue(("Buy", "now!"), 1.0, 1.7)]
    assert [cue.text for cue in found] == ["Hello.", "Buy now!"]
    assert build_webvtt("Hello. Buy now!", timings, 2.0) == webvtt_of(found)


def test_an_intro_card_shifts_every_cue() -> None:
    timings = [Timing("Hello.", 0.1, 0.6), Timing("Buy", 1.0, 1.2), Timing("now!", 1.2, 1.7)]
    assert [
        timing for timing, _lines in cues(build_webvtt("Hello. Buy now!", timings, 2.0, offset_s=1.5))
    ] == [
        "00:00:01.600 --> 00:00:02.500",
        "00:00:02.500 --> 00:00:03.200",
    ]


def test_the_cue_of_a_moment() -> None:
    found = [Cue(("Hello.",), 0.1, 1.0), Cue(("Buy", "now!"), 1.0, 1.7)]
    assert [cue_at(found, t) for t in (0.0, 0.1, 0.99, 1.0, 1.69, 1.7)] == [
        None,
        found[0],
        found[0],
        found[1],
        found[1],
        None,
    ]


def test_bare_engine_words_take_the_script_s_punctuation_and_sentences_end_cues() -> None:
    # Edge reports each word without its punctuation; the captions still read as the script is written.
    spoken = ["Fresh", "roasted", "coffee", "Order", "yours", "today"]
    timings = [Timing(word, index / 2, index / 2 + 0.4) for index, word in enumerate(spoken)]
    found = caption_cues("Fresh roasted coffee. Order yours — today!", timings, 3.0)
    assert [(cue.text, cue.start_s) for cue in found] == [
        ("Fresh roasted coffee.", 0.0),
        ("Order yours — today!", 1.5),
    ]
    assert found[1].end_s == 2.9


def test_engine_words_stay_when_they_are_not_the_script_s() -> None:
    read_out = [
        Timing(word, i * 0.2, i * 0.2 + 0.2) for i, word in enumerate("It costs three hundred".split())
    ]
    assert [cue.text for cue in caption_cues("It costs 300.", read_out, 1.0)] == ["It costs three hundred"]
    chinese = [Timing("这是", 0.0, 0.3), Timing("咖啡", 0.3, 0.6)]
    assert caption_cues("这是咖啡。", chinese, 1.0)[0].words == ("这是", "咖啡")
