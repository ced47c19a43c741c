"""The repository builds three wheels, each installing and importing on its own.

``wagtail-ai-video`` (the plugin) goes on a web host with no runner stack, ``wagtail-ai-video-runner`` on a
GPU host with no Django, and ``wagtail-ai-video-protocol`` (the message contract) beside each.
"""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.packaging.conftest import PROJECTS, REPO, Venv, Wheels

pytestmark = pytest.mark.slow

# What a web host must never get from installing the plugin: the runner's code and its heavy stacks.
RUNNER_STACK = {
    "wagtail-ai-video-runner",
    "torch",
    "av",
    "numpy",
    "edge-tts",
    "espeakng-loader",
    "mediapipe",
    "diffusers",
    "transformers",
    "insightface",
    "opencv-python-headless",
}
RUNNER_MODULES = {"torch", "av", "numpy", "edge_tts", "espeakng_loader", "mediapipe", "diffusers", "cv2"}
NOT_SHIPPED = ("shop/", "bench/", "templates/", "tests/", "packaging/", "manage.py")

# Enough of a Django project to import every module of the plugin: the apps the plugin builds on.
IMPORT_EVERY_PLUGIN_MODULE = """
import importlib, json, sys
import django
from django.conf import settings
settings.configure(
    INSTALLED_APPS=[
        "django_dramatiq", "video_plugin", "wagtailmedia", "wagtail.contrib.settings", "wagtail.api.v2",
        "wagtail.sites", "wagtail.users", "wagtail.snippets", "wagtail.documents", "wagtail.images",
        "wagtail.search", "wagtail.admin", "wagtail", "modelcluster", "taggit", "rest_framework",
        "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
        "django.contrib.sessions", "django.contrib.messages", "django.contrib.staticfiles",
    ],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    DRAMATIQ_BROKER={
        "BROKER": "dramatiq.brokers.stub.StubBroker",
        "OPTIONS": {},
        "MIDDLEWARE": ["dramatiq.middleware.AgeLimit", "dramatiq.middleware.TimeLimit",
                       "dramatiq.middleware.Callbacks", "dramatiq.middleware.Retries"],
    },
    ROOT_URLCONF="video_plugin.urls",
    STATIC_URL="/static/",
    WAGTAIL_SITE_NAME="t",
    SECRET_KEY="t",
)
django.setup()
for name in json.loads(sys.argv[1]):
    importlib.import_module(name)
print(json.dumps(sorted(sys.modules)))
"""

IMPORT_EVERY_MODULE = """
import importlib, json, sys
for name in json.loads(sys.argv[1]):
    importlib.import_module(name)
print(json.dumps(sorted(sys.modules)))
"""


def modules_of(names: list[str]) -> list[str]:
    """The dotted names of the Python modules among a wheel's files."""
    modules = []
    for name in names:
        if name.endswith(".py"):
            module = name[: -len(".py")].replace("/", ".")
            modules.append(module.removesuffix(".__init__"))
    return sorted(modules)


def imported(venv: Venv, script: str, modules: list[str]) -> set[str]:
    # From an empty folder: the checkout must not stand in for what the wheels installed.
    output = venv.run("-c", script, json.dumps(modules), cwd=venv.root)
    return set(json.loads(output.splitlines()[-1]))


def test_the_plugin_wheel_holds_the_app_with_its_migrations_templates_and_static_files(
    wheels: Wheels,
) -> None:
    names = wheels.names(wheels.plugin)
    assert {name.split("/")[0] for name in names} == {"video_plugin"}
    assert "video_plugin/migrations/0001_initial.py" in names
    assert "video_plugin/templates/video_plugin/panels/video_panel.html" in names
    assert "video_plugin/static/video_plugin/js/video-panel-controller.js" in names
    # The admin's catalogues, compiled: a site installing the wheel needs no gettext tools to show them.
    for language in ("de", "fr"):
        assert {
            f"video_plugin/locale/{language}/LC_MESSAGES/{domain}.mo" for domain in ("django", "djangojs")
        } <= set(names)
    checkout = {p.relative_to(REPO).as_posix() for p in (REPO / "video_plugin").rglob("*") if p.is_file()}
    assert {n for n in checkout if "__pycache__" not in n} == set(names)


def test_the_contract_and_the_runner_split_gpu_runner_between_them(wheels: Wheels) -> None:
    protocol, runner = set(wheels.names(wheels.protocol)), set(wheels.names(wheels.runner))
    checkout = {
        p.relative_to(REPO).as_posix()
        for p in (REPO / "gpu_runner").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    # The contract: the messages, and the scene of a finished video with its fonts and their licence.
    assert protocol == {"gpu_runner/protocol.py"} | {n for n in checkout if n.startswith("gpu_runner/scene/")}
    assert {"gpu_runner/scene/fonts/NotoSans-Regular.ttf", "gpu_runner/scene/fonts/OFL.txt"} <= protocol
    assert not protocol & runner
    assert protocol | runner == checkout
    assert "gpu_runner/__init__.py" in runner and "gpu_runner/__main__.py" in runner


def test_no_wheel_ships_the_example_shop_the_site_templates_or_the_benchmarks(wheels: Wheels) -> None:
    for wheel in (wheels.plugin, wheels.protocol, wheels.runner):
        assert not [name for name in wheels.names(wheel) if name.startswith(NOT_SHIPPED)], wheel.name


def test_the_three_distributions_are_released_together(wheels: Wheels) -> None:
    projects = {
        name: tomllib.loads((path / "pyproject.toml").read_text())["project"]
        for name, path in PROJECTS.items()
    }
    versions = {project["version"] for project in projects.values()}
    assert len(versions) == 1
    (version,) = versions
    for name in ("wagtail-ai-video", "wagtail-ai-video-runner"):
        assert f"wagtail-ai-video-protocol=={version}" in projects[name]["dependencies"]
    # The plugin caps no Python; the runner is pinned to the Python its torch build is tested on.
    assert projects["wagtail-ai-video"]["requires-python"] == ">=3.11"
    assert re.search(r"^Requires-Python: >=3\.11$", wheels.metadata(wheels.plugin), re.M)
    assert re.search(r"^Requires-Dist: djangorestframework>=", wheels.metadata(wheels.plugin), re.M)
    assert re.search(
        r"^Requires-Dist: torch==2\.13\.0; extra == 'hallo2'$", wheels.metadata(wheels.runner), re.M
    )


def test_a_web_host_gets_the_plugin_and_the_contract_without_the_runner_stack(
    wheels: Wheels, plugin_venv: Venv
) -> None:
    installed = plugin_venv.installed()
    assert {"wagtail-ai-video", "wagtail-ai-video-protocol", "wagtail", "django"} <= installed
    assert not installed & RUNNER_STACK
    site_packages = Path(
        plugin_venv.run("-c", "import sysconfig; print(sysconfig.get_path('purelib'))").strip()
    )
    assert sorted(p.name for p in (site_packages / "gpu_runner").glob("*.py")) == ["protocol.py"]


def test_every_plugin_module_imports_on_a_web_host(wheels: Wheels, plugin_venv: Venv) -> None:
    # The contract's modules (the messages, and the scene the panel's preview is drawn with) included.
    contract = modules_of(wheels.names(wheels.protocol))
    modules = modules_of(wheels.names(wheels.plugin)) + contract
    loaded = imported(plugin_venv, IMPORT_EVERY_PLUGIN_MODULE, modules)
    assert set(modules) <= loaded
    assert not loaded & RUNNER_MODULES
    assert {name for name in loaded if name.startswith("gpu_runner.")} <= set(contract)


def test_every_runner_module_imports_on_a_gpu_host_without_django(wheels: Wheels, runner_venv: Venv) -> None:
    installed = runner_venv.installed()
    assert "django" not in installed and "wagtail" not in installed
    modules = modules_of(wheels.names(wheels.runner)) + ["gpu_runner.protocol"]
    # __main__ runs the command line when imported.
    modules.remove("gpu_runner.__main__")
    loaded = imported(runner_venv, IMPORT_EVERY_MODULE, modules)
    assert set(modules) <= loaded
    assert "django" not in loaded and not {name for name in loaded if name.startswith(("shop", "bench"))}


def test_the_runner_wheel_installs_the_gpu_runner_command(runner_venv: Venv) -> None:
    completed = subprocess.run(
        [runner_venv.bin("gpu-runner"), "--help"], capture_output=True, text=True, timeout=120, check=True
    )
    for command in ("serve", "render", "fetch-models", "bench"):
        assert command in completed.stdout
