"""compose_script: the explicit script wins; otherwise a short script from title, description and price."""

from __future__ import annotations

from decimal import Decimal

from gpu_runner.captions import build_webvtt
from video_plugin.jobs.scripts import ScriptSource, compose_script, write_script
from video_plugin.jobs.speech_time import SPEAKING_RATES, estimated_speech_seconds


def test_explicit_script_wins_and_loses_its_markup():
    assert compose_script(ScriptSource(title="Lamp", script="<p>Buy   this\nlamp!</p>")) == "Buy this lamp!"


def test_composed_from_title_description_and_price():
    source = ScriptSource(title="Camp Mug", description="<p>Enamel steel</p>", price=Decimal("12.50"))
    assert compose_script(source) == "Meet the Camp Mug. Enamel steel. Yours for 12.50 dollars."


def test_long_descriptions_are_cut_at_a_sentence():
    description = "First sentence here. " + "Second sentence goes on. " * 40
    script = compose_script(ScriptSource(title="Thing", description=description))
    assert script.startswith("Meet the Thing. First sentence here.") and len(script) < 450
    assert script.endswith(".")


def test_nothing_to_say_gives_an_empty_script():
    assert compose_script(ScriptSource(price=Decimal("3"))) == ""


# A rich-text description as Wagtail stores it: the editor typed "&", "<script>", quotes and an emoji.
ESCAPED_DESCRIPTION = "<p>Salt &amp; pepper &lt;script&gt; &quot;crisp&quot; it&#x27;s 🐟</p>"


def test_a_written_script_reads_entities_as_the_characters_they_stand_for():
    script = write_script(ScriptSource(title="Fish &amp; Chips", description=ESCAPED_DESCRIPTION))
    assert script == 'Meet the Fish & Chips. Salt & pepper <script> "crisp" it\'s 🐟.'
    words_per_second = SPEAKING_RATES["edge"]["default"].per_second
    # "<script>" counts as a word
    assert estimated_speech_seconds(script, "edge:en-US-AriaNeural") == round(12 / words_per_second, 1)


def test_a_written_scripts_captions_escape_each_character_once():
    script = write_script(ScriptSource(title="Fish &amp; Chips", description=ESCAPED_DESCRIPTION))
    vtt = build_webvtt(script, [], 6.0)
    cues = vtt.split("\n\n")[1:]  # past the header
    text = " ".join(line for cue in cues for line in cue.splitlines() if "-->" not in line)
    assert text == 'Meet the Fish &amp; Chips. Salt &amp; pepper &lt;script&gt; "crisp" it\'s 🐟.'
