"""Secrets come only from the environment, claim 4 of issue 7 part 4.

- The demo ``SECRET_KEY`` fallback is refused outside DEBUG: importing ``shop.wsgi`` (what gunicorn does)
  fails, and ``manage.py check --deploy`` reports ``shop.E001``; with ``DJANGO_SECRET_KEY`` set both pass.
- S3 credentials never ride in ``VIDEO_STORAGE_URL``: a URL with ``user:password@`` is refused with an error
  that names the fix and does not repeat the secret.
- The product's source holds no secret literal (cloud keys, private keys, issued tokens).

API tokens stored hashed and webhook secrets in no API response: ``test_job_api_isolation.py``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from gpu_runner.protocol import ProtocolError, parse_storage_url
from shop.checks import INSECURE_DEMO_SECRET_KEY
from video_plugin.jobs.storage import storage_backend

ROOT = Path(__file__).resolve().parents[2]


def run_django(code: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    """Run a command in a fresh process with only the given Django variables set (no DEBUG, no key)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        code,
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "shop.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


IMPORT_WSGI = [sys.executable, "-c", "import shop.wsgi"]
CHECK_DEPLOY = [sys.executable, "manage.py", "check", "--deploy"]


def test_wsgi_refuses_the_demo_secret_key_outside_debug():
    refused = run_django(IMPORT_WSGI)
    assert refused.returncode != 0
    assert "ImproperlyConfigured" in refused.stderr and "DJANGO_SECRET_KEY is not set" in refused.stderr
    assert run_django(IMPORT_WSGI, DJANGO_SECRET_KEY="k" * 50).returncode == 0, "a real key must be accepted"
    assert run_django(IMPORT_WSGI, DJANGO_DEBUG="1").returncode == 0, "DEBUG may run on it"


def test_check_deploy_reports_the_demo_secret_key():
    refused = run_django(CHECK_DEPLOY)
    assert refused.returncode != 0
    assert "shop.E001" in refused.stderr + refused.stdout
    accepted = run_django(CHECK_DEPLOY, DJANGO_SECRET_KEY="k" * 50)
    assert "shop.E001" not in accepted.stderr + accepted.stdout


@pytest.mark.parametrize(
    "url",
    [
        "s3://AKIAEXAMPLE:s3cr3t@videos?endpoint=https://acc.r2.cloudflarestorage.com",
        "s3://videos?endpoint=https://AKIAEXAMPLE:s3cr3t@acc.r2.cloudflarestorage.com",
        "s3://videos?public_url=https://user:s3cr3t@cdn.example",
    ],
)
def test_credentials_in_the_storage_url_are_refused(url):
    for parse in (parse_storage_url, storage_backend):
        with pytest.raises(ProtocolError) as refused:
            parse(url)
        message = str(refused.value)
        assert "AWS_ACCESS_KEY_ID" in message and "s3cr3t" not in message


def test_a_storage_url_without_credentials_is_accepted():
    location = parse_storage_url("s3://videos?endpoint=https://acc.r2.cloudflarestorage.com&region=auto")
    assert (location.bucket, location.endpoint) == ("videos", "https://acc.r2.cloudflarestorage.com")


# The demo key is the one literal allowed: it is public by design, and refused outside DEBUG (tests above).
SECRET_PATTERNS = {
    "AWS access key id": re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "issued API token": re.compile(r"\bvt_[A-Za-z0-9_-]{40,}"),
    # Standard Webhooks secrets are base64 (with + / =); endpoints older than that have URL-safe ones.
    "webhook secret": re.compile(r"\bwhsec_[A-Za-z0-9+/=_-]{30,}"),
    "secret assignment": re.compile(
        r"(?i)(secret_key|secret_access_key|password)\s*=\s*['\"]"
        rf"(?!{re.escape(INSECURE_DEMO_SECRET_KEY)})[^'\"]{{8,}}['\"]"
    ),
}


def test_the_source_holds_no_secret_literal():
    found = []
    for package in ("shop", "video_plugin", "gpu_runner"):
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            found += [
                f"{path.relative_to(ROOT)}: {name}" for name, rx in SECRET_PATTERNS.items() if rx.search(text)
            ]
    assert found == []


def test_the_secret_scan_would_find_one():
    """The control for the scan: each pattern matches what it is meant to find."""
    samples = [
        "AKIAABCDEFGHIJKLMNOP",
        "-----BEGIN RSA PRIVATE KEY-----",
        "vt_" + "a" * 43,
        "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw/Zz+Pn0DbAQ=",
        'SECRET_KEY = "a-real-looking-key"',
    ]
    for (name, rx), sample in zip(SECRET_PATTERNS.items(), samples, strict=True):
        assert rx.search(sample), name
