"""Content credentials: every video and poster a job uploads carries a signed C2PA manifest saying AI made it.

A real still-renderer job (with one composed rendition) is signed with a demo chain, and what was uploaded is
read back with c2pa-python's own Reader, trusting the demo root. A runner whose certificate cannot sign
refuses to start, naming the setting; one with signing switched off says so in every result.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import c2pa
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from gpu_runner.cli import main
from gpu_runner.credentials import (
    DISABLED_REASON,
    GENERATION_ASSERTION,
    TRAINED_ALGORITHMIC_MEDIA,
    ContentCredentials,
    SigningSetupError,
    validation_failures,
)
from gpu_runner.events import JobReporter
from gpu_runner.jobs import JobEnvironment, run_job
from gpu_runner.protocol import (
    Provenance,
    RenderRequest,
    RenderResult,
    asset_key,
    poster_key,
    rendition_key,
    video_key,
)
from gpu_runner.renderers.still import StillRenderer
from gpu_runner.settings import RunnerSettings
from gpu_runner.signing_chain import ROOT_FILE, make_demo_chain
from gpu_runner.storage import LocalStorage
from gpu_runner.tts import SpeechService

REPO = Path(__file__).resolve().parents[2]
OUTPUT_KEY = video_key(3, 12, "c2pacredentials1")
PROVENANCE = Provenance(
    organization_id=3,
    organization="Roastery Ltd",
    presenter_consent="consent-7f3a91",
    presenter_kind="person",
)


def pyproject_version() -> str:
    with open(REPO / "pyproject.toml", "rb") as handle:
        project = tomllib.load(handle)["project"]
    assert project["name"] == "wagtail-ai-video"
    return project["version"]


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_demo_chain(tmp_path_factory.mktemp("c2pa"))


def signing_settings(chain: tuple[Path, Path], **changes: Any) -> RunnerSettings:
    return RunnerSettings(c2pa_cert=str(chain[0]), c2pa_key=str(chain[1]), **changes)


def trusting(root_pem: str) -> c2pa.Context:
    """A reading context that trusts ``root_pem`` as its only trust anchor."""
    return c2pa.Context.from_dict({"verify": {"verify_trust": True}, "trust": {"trust_anchors": root_pem}})


def read(path: Path, context: c2pa.Context) -> c2pa.Reader:
    mime_type = "video/mp4" if path.suffix == ".mp4" else "image/jpeg"
    with open(path, "rb") as stream:
        reader = c2pa.Reader(mime_type, stream, context=context)
        reader.json()  # read while the file is open
    return reader


def run_signed_job(
    folder: Path,
    face_jpeg: bytes,
    speech: SpeechService,
    credentials: ContentCredentials,
    *,
    provenance: Provenance | None = PROVENANCE,
    composition: dict[str, Any] | None = None,
) -> tuple[RenderResult, LocalStorage]:
    storage = LocalStorage(folder / "storage")
    image_key = asset_key(3, "presenters", hashlib.sha256(face_jpeg).hexdigest(), "jpg")
    (storage.root / image_key).parent.mkdir(parents=True)
    (storage.root / image_key).write_bytes(face_jpeg)
    request = RenderRequest.from_dict(
        {
            "v": 1,
            "job_id": "job-signed",
            "organization_id": 3,
            "page_id": 12,
            "image_key": image_key,
            "script": "Fresh roasted coffee.",
            "voice": "espeak:en-us",
            "renderer": "still",
            "output_key": OUTPUT_KEY,
            "composition": composition,
            "provenance": provenance.to_dict() if provenance else None,
        }
    )
    env = JobEnvironment(RunnerSettings(), storage, speech, StillRenderer(), credentials=credentials)
    result = run_job(request, env, JobReporter("job-signed", 1, publish=lambda event: None))
    return result, storage


@pytest.fixture(scope="module")
def signed_job(
    chain: tuple[Path, Path],
    tmp_path_factory: pytest.TempPathFactory,
    face_jpeg: bytes,
    speech_service: SpeechService,
) -> tuple[RenderResult, LocalStorage, c2pa.Context]:
    """A job with one composed rendition, signed with the demo chain; a reader context trusting its root."""
    credentials = ContentCredentials.from_settings(signing_settings(chain))
    result, storage = run_signed_job(
        tmp_path_factory.mktemp("signed"),
        face_jpeg,
        speech_service,
        credentials,
        composition={"layout": "presenter", "formats": ["square"]},
    )
    return result, storage, trusting((chain[0].parent / ROOT_FILE).read_text())


def uploaded_files(result: RenderResult) -> list[str]:
    rendition = rendition_key(OUTPUT_KEY, "square")
    return [OUTPUT_KEY, poster_key(OUTPUT_KEY), rendition, poster_key(rendition)]


def test_every_uploaded_video_and_poster_validates_as_trusted(signed_job: tuple) -> None:
    result, storage, context = signed_job
    for key in uploaded_files(result):
        reader = read(storage.root / key, context)
        assert validation_failures(reader) == [], key
        assert reader.get_validation_state() == "Trusted", key


def test_each_manifest_says_ai_created_it_and_names_the_product(signed_job: tuple) -> None:
    result, storage, context = signed_job
    for key in uploaded_files(result):
        manifest = read(storage.root / key, context).get_active_manifest()
        assert manifest["claim_generator_info"][0]["name"] == "wagtail-ai-video"
        assert manifest["claim_generator_info"][0]["version"] == pyproject_version()
        actions = next(a for a in manifest["assertions"] if a["label"].startswith("c2pa.actions"))
        created = [action for action in actions["data"]["actions"] if action["action"] == "c2pa.created"]
        assert [action["digitalSourceType"] for action in created] == [TRAINED_ALGORITHMIC_MEDIA], key


def test_the_generation_assertion_states_renderer_voice_organization_and_consent(signed_job: tuple) -> None:
    result, storage, context = signed_job
    for key in uploaded_files(result):
        manifest = read(storage.root / key, context).get_active_manifest()
        generation = next(a for a in manifest["assertions"] if a["label"] == GENERATION_ASSERTION)
        assert generation["data"] == {
            "job_id": "job-signed",
            "renderer": "still",
            "weights": result.weights,
            "voice_engine": "espeak",
            "voice": "espeak:en-us",
            "organization": {"id": 3, "name": "Roastery Ltd"},
            "presenter": {"kind": "person", "consent_reference": "consent-7f3a91"},
        }
        assert result.weights == StillRenderer().weights()


def test_the_result_records_the_signer_and_describes_the_signed_files(signed_job: tuple) -> None:
    result, storage, context = signed_job
    main_video = storage.root / OUTPUT_KEY
    assert result.credentials == {
        "signed": True,
        "issuer": "Wagtail AI Video demo",
        "manifest": read(main_video, context).get_active_manifest()["label"],
        "standard": "C2PA",
    }
    stored = main_video.read_bytes()
    assert (result.bytes, result.sha256) == (len(stored), hashlib.sha256(stored).hexdigest())
    [rendition] = result.renditions
    stored = (storage.root / rendition["key"]).read_bytes()
    assert (rendition["bytes"], rendition["sha256"]) == (len(stored), hashlib.sha256(stored).hexdigest())
    # And a signature valid to a validator that trusts nobody is only untrusted, never invalid.
    anchors = make_demo_chain(main_video.parent.parent / "other-root")[0].parent / ROOT_FILE
    untrusted = read(main_video, trusting(anchors.read_text()))
    assert validation_failures(untrusted) == ["signingCredential.untrusted"]


def mdat_offset(data: bytes) -> tuple[int, int]:
    """The start and end of the payload of the MP4's top-level ``mdat`` box."""
    position = 0
    while position < len(data):
        size = int.from_bytes(data[position : position + 4], "big")
        kind = data[position + 4 : position + 8]
        header = 8
        if size == 1:
            size, header = int.from_bytes(data[position + 8 : position + 16], "big"), 16
        if kind == b"mdat":
            return position + header, position + size
        position += size
    raise AssertionError("no mdat box")


def test_one_changed_byte_of_the_video_fails_validation(signed_job: tuple, tmp_path: Path) -> None:
    _result, storage, context = signed_job
    tampered = tmp_path / "tampered.mp4"
    shutil.copyfile(storage.root / OUTPUT_KEY, tampered)
    data = bytearray(tampered.read_bytes())
    start, end = mdat_offset(bytes(data))
    data[(start + end) // 2] ^= 0xFF
    tampered.write_bytes(bytes(data))
    reader = read(tampered, context)
    assert "assertion.bmffHash.mismatch" in validation_failures(reader)
    assert reader.get_validation_state() == "Invalid"


def test_a_job_without_provenance_is_signed_without_organization_or_consent(
    chain: tuple[Path, Path], tmp_path: Path, face_jpeg: bytes, speech_service: SpeechService
) -> None:
    credentials = ContentCredentials.from_settings(signing_settings(chain))
    result, storage = run_signed_job(tmp_path, face_jpeg, speech_service, credentials, provenance=None)
    reader = read(storage.root / OUTPUT_KEY, trusting((chain[0].parent / ROOT_FILE).read_text()))
    assert validation_failures(reader) == []
    generation = next(
        a for a in reader.get_active_manifest()["assertions"] if a["label"] == GENERATION_ASSERTION
    )
    assert set(generation["data"]) == {"job_id", "renderer", "weights", "voice_engine", "voice"}
    assert result.credentials["signed"] is True


def test_signing_switched_off_warns_at_boot_and_every_result_says_why(
    tmp_path: Path, face_jpeg: bytes, speech_service: SpeechService, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="gpu_runner.credentials"):
        credentials = ContentCredentials.from_settings(RunnerSettings(c2pa_disabled=True))
    assert "GPU_RUNNER_C2PA_DISABLED" in caplog.text
    result, storage = run_signed_job(tmp_path, face_jpeg, speech_service, credentials)
    assert result.credentials == {"signed": False, "reason": DISABLED_REASON}
    with pytest.raises(c2pa.C2paError):
        read(storage.root / OUTPUT_KEY, c2pa.Context())


def test_the_disabled_setting_is_read_from_the_environment() -> None:
    settings = RunnerSettings.from_env({"GPU_RUNNER_C2PA_DISABLED": "1"})
    assert settings.c2pa_disabled and not RunnerSettings.from_env({}).c2pa_disabled
    with pytest.raises(ValueError, match="GPU_RUNNER_C2PA_ALG='md5'"):
        RunnerSettings.from_env({"GPU_RUNNER_C2PA_ALG": "md5"})


# --- a certificate that cannot sign stops the runner ------------------------------------------------------


def test_no_certificate_configured_is_refused_naming_the_setting() -> None:
    with pytest.raises(SigningSetupError, match="GPU_RUNNER_C2PA_CERT is not set"):
        ContentCredentials.from_settings(RunnerSettings())


def test_a_missing_certificate_file_is_refused_naming_the_setting(chain: tuple, tmp_path: Path) -> None:
    settings = dataclasses.replace(signing_settings(chain), c2pa_cert=str(tmp_path / "absent.pem"))
    with pytest.raises(SigningSetupError, match="GPU_RUNNER_C2PA_CERT=.*absent.pem.* cannot be read"):
        ContentCredentials.from_settings(settings)


def test_garbage_pem_is_refused_naming_the_setting(chain: tuple, tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
    with pytest.raises(SigningSetupError, match="GPU_RUNNER_C2PA_CERT=.* holds no PEM certificate chain"):
        ContentCredentials.from_settings(dataclasses.replace(signing_settings(chain), c2pa_cert=str(garbage)))
    with pytest.raises(
        SigningSetupError, match="GPU_RUNNER_C2PA_KEY=.* holds no unencrypted PEM private key"
    ):
        ContentCredentials.from_settings(dataclasses.replace(signing_settings(chain), c2pa_key=str(garbage)))


def test_a_key_of_another_certificate_is_refused_naming_the_key_setting(chain: tuple, tmp_path: Path) -> None:
    _other_chain, other_key = make_demo_chain(tmp_path / "other")
    settings = dataclasses.replace(signing_settings(chain), c2pa_key=str(other_key))
    with pytest.raises(
        SigningSetupError, match="GPU_RUNNER_C2PA_KEY=.* is not the key of the first certificate"
    ):
        ContentCredentials.from_settings(settings)


def self_signed(folder: Path, *, days: int = 30, start: dt.datetime | None = None) -> tuple[Path, Path]:
    """A self-signed certificate with none of the extensions C2PA asks of a signer."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "plain self-signed")])
    start = start or dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return folder / "cert.pem", folder / "key.pem"


def test_a_certificate_c2pa_does_not_accept_is_caught_by_the_boot_signature(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    with pytest.raises(SigningSetupError, match="GPU_RUNNER_C2PA_CERT and GPU_RUNNER_C2PA_KEY"):
        ContentCredentials.from_settings(RunnerSettings(c2pa_cert=str(cert), c2pa_key=str(key)))


def test_an_expired_certificate_is_refused(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path, days=10, start=dt.datetime.now(dt.UTC) - dt.timedelta(days=40))
    with pytest.raises(SigningSetupError, match="GPU_RUNNER_C2PA_CERT=.* is valid from .* not now; renew it"):
        ContentCredentials.from_settings(RunnerSettings(c2pa_cert=str(cert), c2pa_key=str(key)))


def test_the_runner_process_refuses_to_start_without_a_usable_certificate(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("GPU_RUNNER_C2PA_")}
    # The certificate is checked first: not even the broker (here an unreachable one) is tried.
    env.update(
        REDIS_URL="redis://127.0.0.1:9/0",
        GPU_RUNNER_C2PA_CERT=str(tmp_path / "absent.pem"),
        GPU_RUNNER_C2PA_KEY=str(tmp_path / "absent.key"),
        PYTHONPATH=str(REPO),
    )
    process = subprocess.run(
        [sys.executable, "-m", "gpu_runner", "serve"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert process.returncode == 2, process.stderr
    assert "error: GPU_RUNNER_C2PA_CERT=" in process.stderr and "cannot be read" in process.stderr
    assert "Traceback" not in process.stderr


def test_make_demo_chain_prints_settings_a_runner_signs_with(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["make-demo-chain", str(tmp_path / "demo")]) == 0
    lines = dict(line.split("=", 1) for line in capsys.readouterr().out.splitlines())
    assert set(lines) == {"GPU_RUNNER_C2PA_CERT", "GPU_RUNNER_C2PA_KEY"}
    settings = RunnerSettings.from_env(lines)
    credentials = ContentCredentials.from_settings(settings)
    assert credentials.signed and credentials.issuer == "Wagtail AI Video demo"
    assert oct(Path(lines["GPU_RUNNER_C2PA_KEY"]).stat().st_mode & 0o777) == "0o600"
    # The chain is the signer, issued by a CA, then that CA: no self-signed leaf.
    certificates = x509.load_pem_x509_certificates(Path(lines["GPU_RUNNER_C2PA_CERT"]).read_bytes())
    signer, root = certificates
    assert signer.issuer == root.subject != signer.subject
    assert signer.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature
    assert json.dumps(credentials.record("urn:c2pa:x"))


def test_a_local_render_is_signed_too(
    chain: tuple[Path, Path],
    tmp_path: Path,
    face_jpeg: bytes,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("GPU_RUNNER_C2PA_CERT", str(chain[0]))
    monkeypatch.setenv("GPU_RUNNER_C2PA_KEY", str(chain[1]))
    image = tmp_path / "face.jpg"
    image.write_bytes(face_jpeg)
    output = tmp_path / "local.mp4"
    argv = ["render", "--image", str(image), "--script", "Hi.", "--voice", "espeak:en-us", "-o", str(output)]
    assert main(argv) == 0
    context = trusting((chain[0].parent / ROOT_FILE).read_text())
    label = read(output, context).get_active_manifest()["label"]
    assert (
        f"content credentials: signed by Wagtail AI Video demo (manifest {label})" in capsys.readouterr().out
    )
    assert validation_failures(read(output.with_suffix(".jpg"), context)) == []


def test_a_local_render_without_a_certificate_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("GPU_RUNNER_C2PA_CERT", raising=False)
    argv = ["render", "--image", str(tmp_path / "x.jpg"), "--script", "Hi.", "-o", str(tmp_path / "x.mp4")]
    assert main(argv) == 2
    assert "GPU_RUNNER_C2PA_CERT is not set" in capsys.readouterr().err
    assert not (tmp_path / "x.mp4").exists()
