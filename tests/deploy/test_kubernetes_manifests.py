"""deploy/kubernetes: every manifest valid against the Kubernetes and KEDA schemas, and true to the code.

No cluster here: the Kubernetes kinds are checked by kubernetes-validate (the API's own schemas, bundled, in
strict mode: an unknown field fails), the KEDA kinds by jsonschema against KEDA's published CRDs (``keda/``),
made strict the way the API server's strict field validation treats them. Then what no schema knows: the
runner's grace covers its stop budget, the autoscaler counts exactly the render lanes, probes and scrapes
point at the ports the processes listen on, every variable set is one the code reads.
"""

from __future__ import annotations

import copy
import inspect
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from dramatiq.brokers.redis import RedisBroker
from dramatiq.common import dq_name

from gpu_runner import protocol
from gpu_runner.health import HealthServer
from gpu_runner.settings import RunnerSettings
from gpu_runner.shutdown import stop_budget_s
from tests.test_compose import LIBRARY_VARIABLES, PYTHON_SOURCES

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "deploy" / "kubernetes"
KEDA_CRDS = Path(__file__).resolve().parent / "keda"
VARIANTS = ("redis", "rabbitmq")
# A Kubernetes release still in support (1.32) and the newest one the validator bundles.
KUBERNETES_VERSIONS = ("1.32", kubernetes_validate.utils.latest_version())
# Trigger metadata is a free map in KEDA's schema: these are the keys each scaler reads (KEDA 2.20).
SCALER_METADATA = {
    "redis": {"listName", "listLength", "activationListLength", "databaseIndex", "enableTLS", "unsafeSsl"},
    "rabbitmq": {
        "queueName",
        "mode",
        "value",
        "activationValue",
        "protocol",
        "vhostName",
        "useRegex",
        "excludeUnacknowledged",
        "pageSize",
        "operation",
        "timeout",
        "unsafeSsl",
    },
}


def yaml_files() -> list[Path]:
    return sorted(MANIFESTS.rglob("*.yaml"))


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def resources(directory: Path) -> Iterator[dict[str, Any]]:
    """The objects ``kubectl apply -k directory`` creates: its kustomization's resources, recursively."""
    (kustomization,) = documents(directory / "kustomization.yaml")
    for entry in kustomization["resources"]:
        path = directory / entry
        if path.is_dir():
            yield from resources(path)
        else:
            yield from documents(path)


def one(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    (found,) = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    return found


@cache
def keda_schemas() -> dict[str, dict[str, Any]]:
    """KEDA's CRD schemas by kind, strict: an object schema with properties accepts no others."""
    schemas = {}
    for crd_file in KEDA_CRDS.glob("keda.sh_*.yaml"):
        (crd,) = documents(crd_file)
        (version,) = [v for v in crd["spec"]["versions"] if v["served"] and v["storage"]]
        schema = copy.deepcopy(version["schema"]["openAPIV3Schema"])
        _strict(schema)
        schemas[f"{crd['spec']['group']}/{version['name']}:{crd['spec']['names']['kind']}"] = schema
    return schemas


def _strict(schema: Any) -> None:
    if isinstance(schema, dict):
        if (
            "properties" in schema
            and "additionalProperties" not in schema
            and not schema.get("x-kubernetes-preserve-unknown-fields")
        ):
            schema["additionalProperties"] = False
        for value in schema.values():
            _strict(value)
    elif isinstance(schema, list):
        for value in schema:
            _strict(value)


def validate(manifest: dict[str, Any]) -> None:
    """Raise ``jsonschema.ValidationError`` unless ``manifest`` is valid for its kind, strictly."""
    if manifest["apiVersion"].startswith("keda.sh/"):
        schema = keda_schemas()[f"{manifest['apiVersion']}:{manifest['kind']}"]
        jsonschema.Draft202012Validator(schema).validate(manifest)
        return
    for version in KUBERNETES_VERSIONS:
        kubernetes_validate.validate(manifest, version, strict=True)


def objects_of(variant: str) -> list[dict[str, Any]]:
    return list(resources(MANIFESTS / variant))


def container(objects: list[dict[str, Any]], deployment: str) -> dict[str, Any]:
    (found,) = one(objects, "Deployment", deployment)["spec"]["template"]["spec"]["containers"]
    return found


def config(objects: list[dict[str, Any]], name: str) -> dict[str, str]:
    return one(objects, "ConfigMap", name)["data"]


def environment_names(objects: list[dict[str, Any]], spec: dict[str, Any]) -> set[str]:
    names = {variable["name"] for variable in spec.get("env", [])}
    for source in spec.get("envFrom", []):
        names |= set(config(objects, source["configMapRef"]["name"]))
    return names


def variables_read_by_the_runner() -> set[str]:
    """The variables ``RunnerSettings.from_env`` looks up, by running it on an environment that records."""

    class Recording(dict):
        def get(self, key: str, default: Any = None) -> Any:
            read.add(key)
            return super().get(key, default)

    read: set[str] = set()
    RunnerSettings.from_env(Recording())
    return read


# --- the schemas -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", yaml_files(), ids=lambda path: str(path.relative_to(MANIFESTS)))
def test_every_manifest_is_valid_against_its_schema(path: Path) -> None:
    for manifest in documents(path):
        if manifest["kind"] == "Kustomization":
            for entry in manifest["resources"]:
                target = path.parent / entry
                assert target.is_file() or (target / "kustomization.yaml").is_file(), f"{path}: {entry}"
            continue
        validate(manifest)


@pytest.mark.parametrize(
    ("path", "kind", "place", "misspelled"),
    [
        ("base/gpu-runner.yaml", "Deployment", "spec.template.spec", "terminationGracePeriodSecond"),
        ("base/gpu-runner.yaml", "Deployment", "spec.template.spec.containers.0", "readinesProbe"),
        ("base/gpu-runner.yaml", "Deployment", "spec.template.spec.volumes.0", "persistentVolume"),
        ("redis/autoscaling.yaml", "ScaledObject", "spec", "coolDownPeriod"),
        ("rabbitmq/autoscaling.yaml", "ScaledObject", "spec.triggers.0", "authenticationReference"),
        ("redis/autoscaling.yaml", "TriggerAuthentication", "spec.secretTargetRef.0", "paramater"),
    ],
)
def test_a_misspelled_field_fails_validation(path: str, kind: str, place: str, misspelled: str) -> None:
    (manifest,) = [m for m in documents(MANIFESTS / path) if m["kind"] == kind]
    validate(manifest)
    target = manifest
    for key in place.split("."):
        target = target[int(key)] if key.isdigit() else target[key]
    target[misspelled] = 1
    with pytest.raises(jsonschema.ValidationError, match=misspelled):
        validate(manifest)


def test_a_wrong_type_fails_validation() -> None:
    (manifest,) = [m for m in documents(MANIFESTS / "redis/autoscaling.yaml") if m["kind"] == "ScaledObject"]
    manifest["spec"]["minReplicaCount"] = "zero"
    with pytest.raises(jsonschema.ValidationError, match="'zero' is not of type 'integer'"):
        validate(manifest)


# --- the runners -------------------------------------------------------------------------------------------


def test_runner_grace_period_covers_the_runners_stop_budget() -> None:
    objects = objects_of("redis")
    pod = one(objects, "Deployment", "gpu-runner")["spec"]["template"]["spec"]
    grace_s = float(config(objects, "ai-video-runner")["GPU_RUNNER_STOP_GRACE_S"])
    assert pod["terminationGracePeriodSeconds"] >= stop_budget_s(grace_s)
    # Settings as the runner would read them: the value is one it accepts.
    assert RunnerSettings.from_env(config(objects, "ai-video-runner")).stop_grace_s == grace_s


def test_runner_takes_one_gpu_and_mounts_the_models_read_only_where_it_reads_them() -> None:
    objects = objects_of("redis")
    runner = container(objects, "gpu-runner")
    resources = runner["resources"]
    assert resources["requests"]["nvidia.com/gpu"] == resources["limits"]["nvidia.com/gpu"] == 1
    (models,) = [m for m in runner["volumeMounts"] if m["name"] == "models"]
    assert models["readOnly"] is True
    assert models["mountPath"] == config(objects, "ai-video-runner")["HALLO_MODELS_DIR"]
    pod = one(objects, "Deployment", "gpu-runner")["spec"]["template"]["spec"]
    (volume,) = [v for v in pod["volumes"] if v["name"] == "models"]
    claim = one(objects, "PersistentVolumeClaim", volume["persistentVolumeClaim"]["claimName"])
    assert volume["persistentVolumeClaim"]["readOnly"] is True
    # Every runner pod mounts it at once, on whatever node has the GPU.
    assert "ReadWriteMany" in claim["spec"]["accessModes"] or "ReadOnlyMany" in claim["spec"]["accessModes"]


def test_runner_replicas_are_left_to_keda() -> None:
    assert "replicas" not in one(objects_of("redis"), "Deployment", "gpu-runner")["spec"]


def test_runner_probes_and_scrape_point_at_the_health_port() -> None:
    objects = objects_of("redis")
    settings = RunnerSettings.from_env(config(objects, "ai-video-runner"))
    runner = container(objects, "gpu-runner")
    ports = {port["name"]: port["containerPort"] for port in runner["ports"]}
    assert ports["health"] == settings.health_port
    assert settings.health_host == "0.0.0.0"  # the kubelet and Prometheus reach the pod's IP
    assert runner["livenessProbe"]["httpGet"] == {"path": "/health", "port": "health"}
    # Startup and readiness run the same check, which reads the port from the container's environment.
    assert runner["startupProbe"]["exec"] == runner["readinessProbe"]["exec"]
    assert "GPU_RUNNER_HEALTH_PORT" in environment_names(objects, runner)
    annotations = one(objects, "Deployment", "gpu-runner")["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/port"] == str(settings.health_port)
    assert annotations["prometheus.io/path"] == "/metrics"


@pytest.mark.parametrize(("status", "ready"), [("starting", False), ("ready", True), ("busy", True)])
def test_runner_readiness_check_reads_the_status_from_health(status: str, ready: bool) -> None:
    # /health answers 200 while the models load, so the probe must read the status, not the HTTP code.
    command = container(objects_of("redis"), "gpu-runner")["readinessProbe"]["exec"]["command"]
    assert command[0] == "python"
    server = HealthServer(lambda: {"status": status}, "127.0.0.1", 0)
    server.start()
    try:
        probe = subprocess.run(
            [sys.executable, *command[1:]],
            env={**os.environ, "GPU_RUNNER_HEALTH_PORT": str(server.port)},
            capture_output=True,
            text=True,
            timeout=30,
        )
    finally:
        server.stop()
    assert (probe.returncode == 0) is ready, probe.stderr
    if not ready:
        assert f"runner status '{status}'" in probe.stderr


def test_runner_command_is_the_cli_serve() -> None:
    from gpu_runner.cli import build_parser

    argv = container(objects_of("redis"), "gpu-runner")["command"]
    runner_project = tomllib.loads((ROOT / "packaging" / "runner" / "pyproject.toml").read_text())
    scripts = runner_project["project"]["scripts"]
    assert scripts[argv[0]] == "gpu_runner.cli:main"
    assert build_parser().parse_args(argv[1:]).command == "serve"


# --- the autoscaler ----------------------------------------------------------------------------------------


def lane_queues() -> set[str]:
    return {lane.queue for lane in protocol.RENDER_LANES}


@pytest.mark.parametrize("variant", VARIANTS)
def test_scaled_object_scales_the_runners_from_zero_on_every_render_lane(variant: str) -> None:
    objects = objects_of(variant)
    (scaled,) = [o for o in objects if o["kind"] == "ScaledObject"]
    spec = scaled["spec"]
    assert spec["scaleTargetRef"]["name"] == "gpu-runner"
    assert one(objects, "Deployment", "gpu-runner")
    assert spec["minReplicaCount"] == 0 and spec["maxReplicaCount"] >= 1
    assert spec["cooldownPeriod"] > 0
    triggers = spec["triggers"]
    assert {trigger["type"] for trigger in triggers} == {variant}
    for trigger in triggers:
        assert set(trigger["metadata"]) <= SCALER_METADATA[variant], trigger["metadata"]
        auth = one(objects, "TriggerAuthentication", trigger["authenticationRef"]["name"])
        assert auth["spec"]["secretTargetRef"]
    # One runner per message, whatever lane it is on: the formula adds up every trigger, each once.
    modifiers = spec["advanced"]["scalingModifiers"]
    assert sorted(re.findall(r"\w+", modifiers["formula"])) == sorted(t["name"] for t in triggers)
    assert set(re.sub(r"[\w\s]", "", modifiers["formula"])) == {"+"}
    assert modifiers["target"] == "1" and modifiers["activationTarget"] == "0"


def test_redis_triggers_count_each_lanes_messages_waiting_and_in_flight() -> None:
    namespace = inspect.signature(RedisBroker).parameters["namespace"].default
    (scaled,) = [o for o in objects_of("redis") if o["kind"] == "ScaledObject"]
    counted = {trigger["metadata"]["listName"] for trigger in scaled["spec"]["triggers"]}
    # The hash of message bodies, not the list of waiting ids: a job being rendered keeps its runner.
    expected = {f"{namespace}:{queue}.msgs" for queue in lane_queues()}
    expected |= {f"{namespace}:{dq_name(queue)}.msgs" for queue in lane_queues()}
    assert counted == expected


def test_rabbitmq_triggers_count_each_lanes_messages_ready_and_unacknowledged() -> None:
    (scaled,) = [o for o in objects_of("rabbitmq") if o["kind"] == "ScaledObject"]
    triggers = scaled["spec"]["triggers"]
    expected = lane_queues() | {dq_name(queue) for queue in lane_queues()}
    assert {trigger["metadata"]["queueName"] for trigger in triggers} == expected
    for trigger in triggers:
        # Over AMQP, or excluding the unacknowledged, KEDA would see a rendering job as no job.
        assert trigger["metadata"]["protocol"] == "http"
        assert trigger["metadata"]["mode"] == "QueueLength" and trigger["metadata"]["value"] == "1"
        assert trigger["metadata"].get("excludeUnacknowledged", "false") == "false"


# --- the site and the configuration ------------------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_variable_set_is_one_the_code_reads(variant: str) -> None:
    objects = objects_of(variant)
    django_source = "\n".join(path.read_text() for path in PYTHON_SOURCES["django"])
    for deployment in ("web", "events-worker"):
        for name in environment_names(objects, container(objects, deployment)) - LIBRARY_VARIABLES:
            assert f'"{name}"' in django_source, f"{deployment} sets {name}, which the site never reads"
    runner_names = environment_names(objects, container(objects, "gpu-runner")) - LIBRARY_VARIABLES
    assert runner_names <= variables_read_by_the_runner()


def test_site_and_runners_share_one_storage() -> None:
    objects = objects_of("redis")
    site, runner = config(objects, "ai-video-site"), config(objects, "ai-video-runner")
    assert site["VIDEO_STORAGE_URL"] == runner["VIDEO_STORAGE_URL"]
    assert protocol.parse_storage_url(runner["VIDEO_STORAGE_URL"]).kind == "s3"


def secret_references(node: Any) -> Iterator[tuple[str, str]]:
    """``(secret, key)`` of each ``secretKeyRef`` (pods) and ``secretTargetRef`` item (KEDA) in ``node``."""
    if isinstance(node, dict):
        for field, value in node.items():
            if field == "secretKeyRef":
                yield value["name"], value["key"]
            elif field == "secretTargetRef":
                yield from ((ref["name"], ref["key"]) for ref in value)
            else:
                yield from secret_references(value)
    elif isinstance(node, list):
        for value in node:
            yield from secret_references(value)


def test_every_secret_key_read_is_in_the_example_secret() -> None:
    (example,) = documents(MANIFESTS / "base" / "secret.example.yaml")
    read = {reference for path in yaml_files() for reference in secret_references(documents(path))}
    assert {secret for secret, _ in read} == {example["metadata"]["name"]}
    assert {key for _, key in read} <= set(example["stringData"])


def test_site_processes_run_real_commands_on_the_protocols_queues() -> None:
    from django.core.management import get_commands

    objects = objects_of("redis")
    assert container(objects, "web")["command"][:2] == ["gunicorn", "shop.wsgi"]
    events = container(objects, "events-worker")["command"]
    assert events[:3] == ["python", "manage.py", "rundramatiq"]
    assert events[events.index("--queues") + 1] == protocol.EVENTS_QUEUE
    (migrate,) = documents(MANIFESTS / "jobs" / "migrate.yaml")
    commands = [
        *container(objects, "events-worker")["livenessProbe"]["exec"]["command"],
        migrate["spec"]["template"]["spec"]["containers"][0]["command"][-1],
    ]
    for name in re.findall(r"manage\.py (\S+)", " ".join(commands)):
        assert name in get_commands(), f"manage.py {name} does not exist"


def test_web_probe_and_service_use_the_web_port() -> None:
    from django.urls import resolve

    objects = objects_of("redis")
    web = container(objects, "web")
    port = int(web["command"][web["command"].index("--bind") + 1].rsplit(":", 1)[1])
    assert {p["name"]: p["containerPort"] for p in web["ports"]} == {"http": port}
    probe = web["readinessProbe"]["httpGet"]
    resolve(probe["path"])
    # The kubelet's Host is the pod IP, which DJANGO_ALLOWED_HOSTS does not list: the probe names one it does.
    (host,) = [header["value"] for header in probe["httpHeaders"] if header["name"] == "Host"]
    assert host in config(objects, "ai-video-site")["DJANGO_ALLOWED_HOSTS"].split(",")
    (service,) = [o for o in objects if o["kind"] == "Service" and o["metadata"]["name"] == "web"]
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    annotations = one(objects, "Deployment", "web")["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/port"] == str(port)
    resolve(annotations["prometheus.io/path"])
