"""A demonstration certificate chain for signing content credentials (C2PA) without a real certificate.

:func:`make_demo_chain` writes a root CA and an end-entity signing certificate issued by it, with the profile
C2PA validators check: X.509 v3, an EC P-256 key signed with ECDSA-SHA256, ``digitalSignature`` key usage
(critical), the ``emailProtection`` and ``documentSigning`` extended key usages, key identifiers, and a leaf
that is not self-signed. Its signatures verify, but no validator trusts its root: it is for the demo and the
tests. A production runner signs with a certificate from a certification authority on the C2PA trust list.

``python -m gpu_runner make-demo-chain DIR`` runs it and prints the environment lines that use it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CHAIN_FILE = "c2pa-chain.pem"
KEY_FILE = "c2pa-signer.key"
ROOT_FILE = "c2pa-root.pem"
# id-kp-documentSigning (RFC 9336); older cryptography releases have no constant for it.
DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")
VALID_DAYS = 365


def make_demo_chain(folder: Path, *, organization: str = "Wagtail AI Video demo") -> tuple[Path, Path]:
    """Write a demo signing chain into ``folder`` (created if missing); returns ``(chain_pem, key_pem)``.

    The chain file holds the signing certificate then the root (the order C2PA signers expect); the root is
    also written alone to ``c2pa-root.pem``, for a validator that is told to trust it. The private key is
    PKCS#8 PEM, readable by its owner only. Existing files are replaced: each call makes a new chain.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)  # tolerate a clock a little behind

    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = _name(f"{organization} Root CA", organization)
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=VALID_DAYS * 5))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(signing=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )

    signer_key = ec.generate_private_key(ec.SECP256R1())
    signer = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{organization} video signer", organization))
        .issuer_name(root_name)
        .public_key(signer_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signing=True), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION, DOCUMENT_SIGNING]), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(signer_key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False
        )
        .sign(root_key, hashes.SHA256())
    )

    chain_path, key_path, root_path = folder / CHAIN_FILE, folder / KEY_FILE, folder / ROOT_FILE
    pem = serialization.Encoding.PEM
    chain_path.write_bytes(signer.public_bytes(pem) + root.public_bytes(pem))
    root_path.write_bytes(root.public_bytes(pem))
    key_path.touch(mode=0o600)
    key_path.chmod(0o600)
    key_path.write_bytes(
        signer_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return chain_path, key_path


def _name(common_name: str, organization: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization[:64]),
        ]
    )


def _key_usage(*, signing: bool) -> x509.KeyUsage:
    """``digitalSignature`` for the signer; ``keyCertSign`` and ``cRLSign`` for the CA."""
    return x509.KeyUsage(
        digital_signature=signing,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=not signing,
        crl_sign=not signing,
        encipher_only=False,
        decipher_only=False,
    )
