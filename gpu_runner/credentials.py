"""Content credentials (C2PA): every video and poster the runner makes says, signed, that AI generated it.

Each MP4 (the main video and every rendition) and each poster JPEG gets a C2PA manifest embedded before it is
uploaded. The manifest holds:

- a ``c2pa.actions`` assertion: ``c2pa.created`` with the IPTC digital source type *trainedAlgorithmicMedia*,
  which is how C2PA readers (browsers, platforms, verify tools) recognise AI-generated media;
- the claim generator: this product (``wagtail-ai-video``) and its version;
- a :data:`GENERATION_ASSERTION` of its own: the renderer and its weights, the voice engine and voice, the
  job, the organization, and the presenter's kind and consent reference (the id of the consent record, never
  a person's name). A job from a sender older than consent records carries no organization or consent fields.

The certificate and key come from ``GPU_RUNNER_C2PA_CERT`` and ``GPU_RUNNER_C2PA_KEY``; the runner signs a
tiny image in memory at boot (:meth:`ContentCredentials.from_settings`), so a missing, broken, expired or
mismatched certificate stops it before any job rather than leaving videos unsigned. No timestamp authority is
used: signing never touches the network.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
import uuid
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import c2pa
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from PIL import Image

from .checksums import file_sha256
from .protocol import Provenance, RenderRequest
from .settings import RunnerSettings, SettingsError

logger = logging.getLogger(__name__)

PRODUCT = "wagtail-ai-video"
# The distributions that may carry the runner's version: the runner's own wheel, else a development checkout.
_VERSION_DISTRIBUTIONS = ("wagtail-ai-video-runner", PRODUCT)
GENERATION_ASSERTION = "org.wagtail-ai-video.generation"
TRAINED_ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
STANDARD = "C2PA"
DISABLED_REASON = "signing disabled by GPU_RUNNER_C2PA_DISABLED"
# A JobEnvironment built in-process without a signer (a library caller, a test) still says so in each result.
NOT_CONFIGURED_REASON = "this runner environment was built without a signer"
# Failures a runner cannot judge alone: whether a validator trusts the signer is the validator's trust list.
_TRUST_CODES = frozenset({"signingCredential.untrusted"})
_MIME_TYPES = {".mp4": "video/mp4", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


class SigningSetupError(SettingsError):
    """The signing certificate or key cannot sign; the message names the setting to fix."""


def product_version() -> str:
    """This product's version, from the installed runner (or, in a checkout, plugin) distribution."""
    for distribution in _VERSION_DISTRIBUTIONS:
        try:
            return metadata.version(distribution)
        except metadata.PackageNotFoundError:
            continue
    return "unknown (not installed)"


@dataclass(frozen=True)
class GenerationFacts:
    """What a job's manifests state about how its videos were made and for whom."""

    job_id: str
    renderer: str
    weights: str
    voice_engine: str
    voice: str
    provenance: Provenance | None = None

    @classmethod
    def of(
        cls, request: RenderRequest, *, renderer: str, weights: str, voice_engine: str, voice: str
    ) -> GenerationFacts:
        return cls(request.job_id, renderer, weights, voice_engine, voice, request.provenance)

    def assertion(self) -> dict[str, Any]:
        """The :data:`GENERATION_ASSERTION`'s data."""
        data: dict[str, Any] = {
            "job_id": self.job_id,
            "renderer": self.renderer,
            "weights": self.weights,
            "voice_engine": self.voice_engine,
            "voice": self.voice,
        }
        if self.provenance is not None:
            data["organization"] = {
                "id": self.provenance.organization_id,
                "name": self.provenance.organization,
            }
            data["presenter"] = {
                "kind": self.provenance.presenter_kind,
                "consent_reference": self.provenance.presenter_consent,
            }
        return data


class ContentCredentials:
    """Signs a job's files with one signer, built once at boot; or, switched off, records why it does not."""

    def __init__(self, signer: c2pa.Signer | None, *, issuer: str = "", reason: str = "") -> None:
        self._signer = signer
        self.issuer = issuer
        self.reason = reason
        self._version = product_version()
        # No thumbnail: the poster is the video's picture already, and rendering one costs time per file.
        self._context = (
            c2pa.Context.from_dict({"builder": {"thumbnail": {"enabled": False}}}) if signer else None
        )

    @classmethod
    def unsigned(cls, reason: str) -> ContentCredentials:
        return cls(None, reason=reason)

    @classmethod
    def from_settings(cls, settings: RunnerSettings) -> ContentCredentials:
        """The signer the settings name, proven by signing a test image; raises :class:`SigningSetupError`.

        With ``GPU_RUNNER_C2PA_DISABLED`` it signs nothing, and says so in a warning and in every result.
        """
        if settings.c2pa_disabled:
            logger.warning(
                "content credentials are off (GPU_RUNNER_C2PA_DISABLED): this runner's videos are not signed "
                "and do not say, in a way C2PA readers can check, that they are AI-generated"
            )
            return cls.unsigned(DISABLED_REASON)
        chain_pem, key_pem = (
            _read_pem("GPU_RUNNER_C2PA_CERT", settings.c2pa_cert),
            _read_pem("GPU_RUNNER_C2PA_KEY", settings.c2pa_key),
        )
        certificate = _check_pair(settings, chain_pem, key_pem)
        try:
            signer = c2pa.Signer.from_info(
                c2pa.C2paSignerInfo(settings.c2pa_alg.encode(), chain_pem, key_pem, None)
            )
        except (c2pa.C2paError, ValueError) as exc:
            raise SigningSetupError(
                f"GPU_RUNNER_C2PA_CERT / GPU_RUNNER_C2PA_KEY cannot make a {settings.c2pa_alg} signer: {exc}"
            ) from None
        credentials = cls(signer, issuer=_issuer(certificate))
        credentials._prove(settings)
        logger.info("content credentials: signing as %r (%s)", credentials.issuer, settings.c2pa_alg)
        return credentials

    @property
    def signed(self) -> bool:
        return self._signer is not None

    def sign_video(self, path: Path, facts: GenerationFacts) -> str | None:
        """Embed a signed manifest in the MP4 at ``path`` (replaced); returns its label, ``None`` unsigned."""
        return self._sign_file(path, facts)

    def sign_poster(self, path: Path, facts: GenerationFacts) -> str | None:
        """Embed a signed manifest in the poster JPEG at ``path`` (replaced); returns its label."""
        return self._sign_file(path, facts)

    def record(self, manifest: str | None) -> dict[str, Any]:
        """What a job result's ``credentials`` say, given the main video's manifest label."""
        if not self.signed:
            return {"signed": False, "reason": self.reason}
        return {"signed": True, "issuer": self.issuer, "manifest": manifest, "standard": STANDARD}

    def _sign_file(self, path: Path, facts: GenerationFacts) -> str | None:
        if self._signer is None:
            return None
        mime_type = _MIME_TYPES[path.suffix.lower()]
        signed = path.with_name(f"{path.stem}.signed{path.suffix}")
        with open(path, "rb") as source, open(signed, "w+b") as destination:
            label = self._sign_stream(mime_type, source, destination, facts, title=path.name)
        os.replace(signed, path)
        return label

    def _sign_stream(
        self, mime_type: str, source: Any, destination: Any, facts: GenerationFacts, title: str
    ) -> str:
        label = f"urn:c2pa:{uuid.uuid4()}"
        builder = c2pa.Builder(self._manifest(label, facts, title), self._context)
        builder.sign(self._signer, mime_type, source, destination)
        return label

    def _manifest(self, label: str, facts: GenerationFacts, title: str) -> dict[str, Any]:
        return {
            "label": label,
            "title": title,
            "claim_generator_info": [{"name": PRODUCT, "version": self._version}],
            "assertions": [
                {
                    "label": "c2pa.actions",
                    "data": {
                        "actions": [
                            {
                                "action": "c2pa.created",
                                "digitalSourceType": TRAINED_ALGORITHMIC_MEDIA,
                                "softwareAgent": {"name": f"{PRODUCT} {facts.renderer} renderer"},
                            }
                        ]
                    },
                },
                {"label": GENERATION_ASSERTION, "data": facts.assertion()},
            ],
        }

    def _prove(self, settings: RunnerSettings) -> None:
        """Sign a tiny JPEG in memory and read it back: what C2PA will not sign or validate stops the boot."""
        picture = io.BytesIO()
        Image.new("RGB", (8, 8), "gray").save(picture, "JPEG")
        picture.seek(0)
        signed = io.BytesIO()
        facts = GenerationFacts("boot-check", settings.renderer, "none", "none", "none")
        try:
            self._sign_stream("image/jpeg", picture, signed, facts, title="boot-check.jpg")
            signed.seek(0)
            failures = validation_failures(c2pa.Reader("image/jpeg", signed))
        except c2pa.C2paError as exc:
            raise SigningSetupError(
                f"signing a test image with GPU_RUNNER_C2PA_CERT and GPU_RUNNER_C2PA_KEY failed: {exc}"
            ) from None
        problems = [code for code in failures if code not in _TRUST_CODES]
        if problems:
            raise SigningSetupError(
                f"a test image signed with GPU_RUNNER_C2PA_CERT and GPU_RUNNER_C2PA_KEY does not validate "
                f"({', '.join(problems)}); use a C2PA signing certificate (digitalSignature key usage, "
                "emailProtection or documentSigning extended key usage, issued by a CA)"
            )


def validation_failures(reader: c2pa.Reader) -> list[str]:
    """The failure codes of the active manifest's validation (``assertion.dataHash.mismatch``, …)."""
    results = reader.get_validation_results() or {}
    active = results.get("activeManifest") or {}
    return [entry.get("code", "") for entry in active.get("failure") or []]


def _read_pem(variable: str, path: str) -> bytes:
    if not path:
        raise SigningSetupError(
            f"{variable} is not set: every video is signed with content credentials (C2PA), so the runner "
            "needs GPU_RUNNER_C2PA_CERT (PEM certificate chain) and GPU_RUNNER_C2PA_KEY (PEM private key); "
            "`python -m gpu_runner make-demo-chain DIR` makes a demo pair, and GPU_RUNNER_C2PA_DISABLED=true "
            "switches signing off"
        )
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise SigningSetupError(f"{variable}={path!r} cannot be read: {exc.strerror or exc}") from None


def _check_pair(settings: RunnerSettings, chain_pem: bytes, key_pem: bytes) -> x509.Certificate:
    """The signing certificate, once it parses, is in date and matches the key; else the setting to fix."""
    try:
        chain = x509.load_pem_x509_certificates(chain_pem)
    except ValueError:
        raise SigningSetupError(
            f"GPU_RUNNER_C2PA_CERT={settings.c2pa_cert!r} holds no PEM certificate chain "
            "(-----BEGIN CERTIFICATE----- blocks, signing certificate first)"
        ) from None
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError) as exc:
        raise SigningSetupError(
            f"GPU_RUNNER_C2PA_KEY={settings.c2pa_key!r} holds no unencrypted PEM private key ({exc})"
        ) from None
    certificate = chain[0]
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    if key.public_key().public_bytes(der, public) != certificate.public_key().public_bytes(der, public):
        raise SigningSetupError(
            f"GPU_RUNNER_C2PA_KEY={settings.c2pa_key!r} is not the key of the first certificate in "
            f"GPU_RUNNER_C2PA_CERT={settings.c2pa_cert!r}; the chain must start with the signing certificate"
        )
    now = dt.datetime.now(dt.UTC)
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise SigningSetupError(
            f"the signing certificate in GPU_RUNNER_C2PA_CERT={settings.c2pa_cert!r} is valid from "
            f"{certificate.not_valid_before_utc:%Y-%m-%d} to {certificate.not_valid_after_utc:%Y-%m-%d}, "
            "not now; renew it"
        )
    return certificate


def _issuer(certificate: x509.Certificate) -> str:
    """Who signs, as C2PA readers show it: the certificate subject's organization, else its common name."""
    for oid in (NameOID.ORGANIZATION_NAME, NameOID.COMMON_NAME):
        names = certificate.subject.get_attributes_for_oid(oid)
        if names:
            return str(names[0].value)
    return certificate.subject.rfc4514_string()


def signed_file_facts(path: Path) -> tuple[int, str]:
    """The size and SHA-256 of a signed file, as the job result reports them."""
    return path.stat().st_size, file_sha256(path)
