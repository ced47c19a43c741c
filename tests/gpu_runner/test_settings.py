"""Runner settings: documented defaults, environment overrides, and refusals that name the variable."""

from __future__ import annotations

import pytest

from gpu_runner.settings import RunnerSettings, SettingsError


def test_defaults_are_the_embedded_setup() -> None:
    settings = RunnerSettings.from_env({})
    assert settings.redis_url == "redis://127.0.0.1:6379/0"
    assert settings.storage_url == "./demo-data/storage"
    assert (settings.renderer, settings.default_voice, settings.device) == ("still", "espeak:en-us", "auto")
    assert (settings.health_host, settings.health_port) == ("127.0.0.1", 8088)
    assert settings.allow_noncommercial_weights is True
    assert settings.max_audio_seconds == 180
    assert settings.voice_engines == ("edge", "espeak")


def test_environment_overrides() -> None:
    settings = RunnerSettings.from_env(
        {
            "GPU_RUNNER_RENDERER": "Hallo2",
            "GPU_RUNNER_HEALTH_PORT": "9000",
            "GPU_RUNNER_MAX_AUDIO_SECONDS": "30.5",
            "GPU_RUNNER_ALLOW_NONCOMMERCIAL_WEIGHTS": "false",
            "GPU_RUNNER_DEVICE": "cpu",
            "GPU_RUNNER_VOICE_ENGINES": " Espeak ",
        }
    )
    assert settings.voice_engines == ("espeak",)
    assert (settings.renderer, settings.health_port, settings.max_audio_seconds) == ("hallo2", 9000, 30.5)
    assert settings.allow_noncommercial_weights is False and settings.device == "cpu"


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"GPU_RUNNER_RENDERER": "sora"}, "GPU_RUNNER_RENDERER='sora'"),
        ({"GPU_RUNNER_HEALTH_PORT": "http"}, "GPU_RUNNER_HEALTH_PORT='http' is not a int"),
        ({"GPU_RUNNER_HEALTH_PORT": "70000"}, "not a TCP port"),
        ({"GPU_RUNNER_ALLOW_NONCOMMERCIAL_WEIGHTS": "maybe"}, "not a boolean"),
        ({"GPU_RUNNER_DEVICE": "tpu"}, "GPU_RUNNER_DEVICE"),
        (
            {"GPU_RUNNER_DEFAULT_VOICE": "en-us"},
            "GPU_RUNNER_DEFAULT_VOICE: voice 'en-us' is not an engine-qualified",
        ),
        ({"GPU_RUNNER_OFFLINE_VOICE": "espeak"}, "GPU_RUNNER_OFFLINE_VOICE: voice 'espeak' is not"),
        ({"GPU_RUNNER_JOB_TIME_LIMIT_S": "0"}, "must be positive"),
        ({"GPU_RUNNER_VOICE_ENGINES": "edge,polly"}, "GPU_RUNNER_VOICE_ENGINES='edge,polly' must name"),
        ({"GPU_RUNNER_VOICE_ENGINES": " , "}, "GPU_RUNNER_VOICE_ENGINES='' must name"),
        ({"GPU_RUNNER_VOICE_ENGINES": "edge"}, "OFFLINE_VOICE='espeak:en-us' is spoken by 'espeak'"),
    ],
)
def test_bad_values_name_the_variable(env: dict, words: str) -> None:
    with pytest.raises(SettingsError, match=words.replace("(", r"\(")):
        RunnerSettings.from_env(env)
