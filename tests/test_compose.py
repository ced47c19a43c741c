"""docker-compose.yml cannot run here (no Docker engine), so check that it agrees with the code it starts."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import pytest
import yaml

from gpu_runner import protocol

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
PYTHON_SOURCES = {
    "django": [*ROOT.glob("shop/**/*.py"), *ROOT.glob("video_plugin/**/*.py")],
    "runner": list(ROOT.glob("gpu_runner/**/*.py")),
}
# Variables read by libraries rather than by our code.
LIBRARY_VARIABLES = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "dramatiq_queue_prefetch"}


def _command(service: str) -> str:
    command = SERVICES[service]["command"]
    return command if isinstance(command, str) else " ".join(command)


def _source_text(side: str) -> str:
    return "\n".join(path.read_text() for path in PYTHON_SOURCES[side])


def test_the_six_services_exist_each_with_a_healthcheck():
    assert set(SERVICES) == {"web", "events", "gpu_runner", "redis", "postgres", "s3"}
    for name, service in SERVICES.items():
        test = service.get("healthcheck", {}).get("test")
        assert test and test[0] in ("CMD", "CMD-SHELL"), f"{name} has no healthcheck"


def test_runner_reserves_an_nvidia_gpu_and_mounts_the_models_volume():
    runner = SERVICES["gpu_runner"]
    devices = runner["deploy"]["resources"]["reservations"]["devices"]
    assert devices[0]["driver"] == "nvidia" and "gpu" in devices[0]["capabilities"]
    models_dir = runner["environment"]["HALLO_MODELS_DIR"]
    assert any(volume.split(":")[1] == models_dir for volume in runner["volumes"])
    assert "models" in COMPOSE["volumes"]
    assert runner["environment"]["dramatiq_queue_prefetch"] == "1"


def test_runner_command_is_a_real_cli_subcommand():
    from gpu_runner.cli import build_parser

    argv = shlex.split(_command("gpu_runner"))
    scripts = tomllib.loads((ROOT / "packaging" / "runner" / "pyproject.toml").read_text())["project"][
        "scripts"
    ]
    assert scripts[argv[0]] == "gpu_runner.cli:main"
    args = build_parser().parse_args(argv[1:])
    assert args.command == "serve"


def test_the_web_image_installs_the_plugin_and_the_runner_image_the_runner():
    web, runner = (SERVICES[name]["build"]["dockerfile_inline"] for name in ("web", "gpu_runner"))
    assert "./packaging/protocol" in web and '".[s3]"' in web and "packaging/runner" not in web
    assert "COPY shop shop" in web and "torch" not in web
    assert '"./packaging/runner[tts,hallo2]"' in runner and "torch==2.13.0" in runner
    assert "COPY shop" not in runner and "COPY video_plugin" not in runner


def test_events_worker_consumes_the_events_queue_of_the_protocol():
    argv = shlex.split(_command("events"))
    assert argv[:3] == ["python", "manage.py", "rundramatiq"]
    assert argv[argv.index("--queues") + 1] == protocol.EVENTS_QUEUE


@pytest.mark.parametrize("service", ["web", "events"])
def test_management_commands_used_by_compose_exist(service):
    from django.core.management import get_commands

    available = get_commands()
    for name in re.findall(r"manage\.py (\S+)", _command(service)):
        assert name in available, f"{service} runs `manage.py {name}`, which does not exist"


def test_web_serves_the_wsgi_application_and_its_healthcheck_url_exists():
    from django.urls import resolve

    match = re.search(r"gunicorn (\S+)", _command("web"))
    assert match and match[1] == "shop.wsgi" and (ROOT / "shop" / "wsgi.py").exists()
    health_url = SERVICES["web"]["healthcheck"]["test"][-1]
    resolve(re.sub(r"^https?://[^/]+", "", health_url))


def test_runner_healthcheck_uses_the_configured_health_port():
    runner = SERVICES["gpu_runner"]
    port = runner["environment"]["GPU_RUNNER_HEALTH_PORT"]
    assert runner["healthcheck"]["test"][-1] == f"http://localhost:{port}/health"


@pytest.mark.parametrize(
    ("service", "side"), [("web", "django"), ("events", "django"), ("gpu_runner", "runner")]
)
def test_every_environment_variable_is_read_by_the_code(service, side):
    source = _source_text(side)
    for variable in SERVICES[service]["environment"]:
        if variable in LIBRARY_VARIABLES:
            continue
        assert f'"{variable}"' in source, f"{service} sets {variable}, which the {side} code never reads"


@pytest.mark.parametrize("service", ["web", "events", "gpu_runner"])
def test_storage_url_parses_and_points_at_the_s3_service(service):
    location = protocol.parse_storage_url(SERVICES[service]["environment"]["VIDEO_STORAGE_URL"])
    assert location.kind == "s3" and location.bucket
    assert location.endpoint == "http://s3:9000"


def test_app_services_share_database_and_broker_with_the_backing_services():
    web = SERVICES["web"]["environment"]
    postgres = SERVICES["postgres"]["environment"]
    assert web["DATABASE_URL"] == (
        f"postgres://{postgres['POSTGRES_USER']}:{postgres['POSTGRES_PASSWORD']}@postgres:5432/{postgres['POSTGRES_DB']}"
    )
    assert web["REDIS_URL"] == SERVICES["gpu_runner"]["environment"]["REDIS_URL"] == "redis://redis:6379/0"
