"""WebVTT captions: cue timing, line length, sentence breaks and escaping."""

from __future__ import annotations

from gpu_runner.captions import LINE_CHARS, Cue, build_webvtt, caption_cues, cue_at, webvtt_of
from gpu_runner.tts.base import Timing


def cues(vtt: str) -> list[tuple[str, list[str]]]:
    blocks = vtt.strip().split("\n\n")
    assert blocks[0].split("\n")[0] == "WEBVTT"
    return [(block.split("\n")[0], block.split("\n")[1:]) for block in blocks[1:]]


def header(vtt: str) -> list[str]:
    return vtt.split("\n\n")[0].split("\n")


def test_the_header_states_the_captions_language() -> None:
    assert header(build_webvtt("Hallo.", [], 1.0, language="de")) == [
        "WEBVTT",
        "Kind: captions",
        "Language: de",
    ]
    assert header(build_webvtt("Hello.", [], 1.0)) == ["WEBVTT", "Kind: captions"]


# Edge's word boundaries for a Japanese script: words with no spaces between them in the text.
JAPANESE = "このランプは、夜の読書にぴったりです。明るさは三段階で、省エネのLEDを使っています。"
JAPANESE_WORDS = [
    "この",
    "ランプ",
    "は",
    "、",
    "夜",
    "の",
    "読書",
    "に",
    "ぴったり",
    "です",
    "。",
    "明るさ",
    "は",
    "三",
    "段階",
    "で",
    "、",
    "省エネ",
    "の",
    "LED",
    "を",
    "使って",
    "います",
    "。",
]


def columns(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def test_japanese_cues_join_words_without_spaces_and_wrap_by_width() -> None:
    timings = [Timing(word, index * 0.2, index * 0.2 + 0.2) for index, word in enumerate(JAPANESE_WORDS)]
    made = caption_cues(JAPANESE, timings, 5.0)

    assert "".join(cue.text for cue in made) == JAPANESE  # not one space added between words
    parsed = cues(webvtt_of(made, language="ja"))
    assert [text for _timing, lines in parsed for text in lines] and all(
        columns(line) <= LINE_CHARS for _timing, lines in parsed for line in lines
    )
    assert " " not in "".join(line for _timing, lines in parsed for line in lines)
    assert parsed[0][1][-1].endswith("です。")  # the first sentence ends the first cue


def test_a_long_unbroken_japanese_run_is_broken_between_characters() -> None:
    run = "超" * 60
    lines = [line for _timing, lines in cues(build_webvtt(run, [Timing(run, 0, 3)], 3.0)) for line in lines]
    assert "".join(lines) == run and all(columns(line) <= LINE_CHARS for line in lines)


def test_latin_words_stay_spaced_and_sit_beside_japanese_without_one() -> None:
    assert caption_cues("Buy the LED lamp", [], 2.0)[0].text == "Buy the LED lamp"
    words = [Timing(word, 0.1 * i, 0.1 * i + 0.1) for i, word in enumerate(["省エネ", "の", "LED", "を"])]
    assert caption_cues("省エネのLEDを", words, 1.0)[0].text == "省エネのLEDを"


def test_arabic_and_hebrew_wrap_between_words_in_reading_order() -> None:
    arabic = " ".join(["مصباح", "دافئ", "لأمسياتك", "الطويلة"] * 6) + "."
    parsed = cues(build_webvtt(arabic, [], 6.0, language="ar"))
    lines = [line for _timing, cue_lines in parsed for line in cue_lines]
    assert " ".join(lines) == arabic  # the words in the order written, every break at a space
    assert all(len(line) <= LINE_CHARS for line in lines) and len(lines) > 2
    hebrew = "מנורה חמה לערבים ארוכים."
    assert cues(build_webvtt(hebrew, [], 2.0, language="he"))[0][1] == [hebrew]


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
    # Lines are measured as shown (38 columns, the fish two), not as escaped.
    assert cues(vtt)[0][1] == ['Salt &amp; pepper &lt;script&gt; "crisp" it\'s 🐟']


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
