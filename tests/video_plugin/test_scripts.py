"""compose_script: the explicit script wins; otherwise a short script from title, description and price."""

from __future__ import annotations

from decimal import Decimal

from video_plugin.jobs.scripts import ScriptSource, compose_script


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
