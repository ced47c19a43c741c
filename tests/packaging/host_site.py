"""A Wagtail project fresh from ``wagtail start``, set up by the README's "Add to an existing Wagtail site"
and run as a host runs it: its web server, its events worker and a GPU runner, each a process of its own.

The README's code blocks are the setup: each one the test applies starts with a marker comment
(``# settings.py: append``, ``# urls.py: before Wagtail's page URLs`` …), and :func:`readme_snippets` reads
them from the README, so the instructions and the test cannot drift apart. What only the test needs (its own
PostgreSQL database, logging) is appended after them and never shown to readers.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from tests.packaging.conftest import REPO, Venv

SECTION = "## Add to an existing Wagtail site"

# The markers of the blocks the test applies, each the first line of its block in the README.
SETTINGS = "settings.py: append"
URL_IMPORTS = "urls.py: imports"
URL_PATTERNS = "urls.py: before Wagtail's page URLs"
API_MODULE = "api.py: new file, beside urls.py"
MODELS = "models.py: append"
GRANT = "manage.py shell: grant the permission"
MARKERS = (SETTINGS, URL_IMPORTS, URL_PATTERNS, API_MODULE, MODELS, GRANT)

# The commands the README tells a host to run, which the test runs too (with test-only flags added).
COMMANDS = (
    "pip install wagtail-ai-video",
    'pip install "wagtail-ai-video-runner[tts]"',
    "gpu-runner make-demo-chain c2pa",
    "python manage.py makemigrations",
    "python manage.py migrate",
    "python manage.py rundramatiq --queues video-events",
    "gpu-runner serve",
)

# Variables of the test run that must not leak into the host's processes: pytest-django's settings module
# would replace the project's, and the checkout's paths would shadow what the wheels installed.
NOT_INHERITED = (
    "DJANGO_SETTINGS_MODULE",
    "PYTHONPATH",
    "PYTHONHOME",
    "VIRTUAL_ENV",
    "DATABASE_URL",
    "VIDEO_STORAGE_URL",
    "WAGTAIL_VIDEO_RENDERER",
    # The runner's signing chain is the one the README has the host make.
    "GPU_RUNNER_C2PA_CERT",
    "GPU_RUNNER_C2PA_KEY",
)

T = TypeVar("T")


def readme_section(readme: Path = REPO / "README.md") -> str:
    """The text of the README's section on adding the plugin to an existing site."""
    text = readme.read_text()
    assert f"\n{SECTION}\n" in text, f"README.md has no {SECTION!r} section"
    return text.split(f"\n{SECTION}\n", 1)[1].split("\n## ", 1)[0]


def readme_snippets(section: str) -> dict[str, str]:
    """``{marker: code}`` of the section's Python blocks that carry one of :data:`MARKERS`.

    The marker comment stays in the code: it is a comment wherever the block lands.
    """
    snippets: dict[str, str] = {}
    for block in re.findall(r"^```python\n(.*?)^```$", section, re.M | re.S):
        first_line = block.split("\n", 1)[0]
        marker = first_line.removeprefix("# ")
        if marker in MARKERS:
            assert marker not in snippets, f"two README blocks are marked {marker!r}"
            snippets[marker] = block
    missing = [marker for marker in MARKERS if marker not in snippets]
    assert not missing, f"README's {SECTION!r} lacks the blocks marked {missing}"
    return snippets


@dataclass(frozen=True)
class Database:
    """A PostgreSQL database of the test's own, as Django's ``DATABASES["default"]`` wants it."""

    name: str
    user: str
    password: str
    host: str
    port: int

    @classmethod
    def beside(cls, url: str, suffix: str) -> Database:
        """A database on the server of ``url`` named after its database plus ``suffix``.

        Never the database ``url`` names itself: under ``make test`` that is the suite's own.
        """
        parts = urlsplit(url)
        assert parts.scheme in ("postgres", "postgresql"), f"DATABASE_URL {url!r} is not PostgreSQL"
        return cls(
            name=(parts.path.lstrip("/") or "aivideo") + suffix,
            user=parts.username or "postgres",
            password=parts.password or "",
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 5432,
        )

    def django_settings(self) -> str:
        """The settings lines that point the project at this database."""
        default = {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": self.name,
            "USER": self.user,
            "PASSWORD": self.password,
            "HOST": self.host,
            "PORT": str(self.port),
        }
        return f"DATABASES = {{'default': {default!r}}}\n"

    def recreate(self) -> None:
        """Drop the database if a previous run left it, and create it empty."""
        self._maintenance(
            f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)', f'CREATE DATABASE "{self.name}"'
        )

    def drop(self) -> None:
        self._maintenance(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def _maintenance(self, *statements: str) -> None:
        import psycopg

        try:
            connection = psycopg.connect(
                dbname="postgres",
                user=self.user,
                password=self.password or None,
                host=self.host,
                port=self.port,
                autocommit=True,
                connect_timeout=10,
            )
        except psycopg.OperationalError as exc:
            pytest.fail(
                f"PostgreSQL at {self.host}:{self.port} is unreachable ({exc}); start it or set DATABASE_URL"
            )
        with connection:
            for statement in statements:
                connection.execute(statement)


class Processes:
    """The host's long-running processes, each logging to ``logs/<name>.log``; failures show their tails."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.logs.mkdir(parents=True, exist_ok=True)
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, argv: list[str | Path], cwd: Path, env: dict[str, str]) -> None:
        with (self.logs / f"{name}.log").open("ab") as log:
            self.running[name] = subprocess.Popen(
                [str(arg) for arg in argv], cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT
            )

    def dead(self) -> list[str]:
        """The names of the processes that have exited."""
        return [name for name, process in self.running.items() if process.poll() is not None]

    def stop_all(self) -> None:
        """SIGTERM each, as a supervisor stops them, and SIGKILL one that hangs."""
        for process in self.running.values():
            if process.poll() is None:
                process.terminate()
        for process in self.running.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        self.running.clear()

    def tail_logs(self, chars: int = 5000) -> str:
        return "\n".join(
            f"--- {path.name} ---\n{path.read_text(errors='replace')[-chars:]}"
            for path in sorted(self.logs.glob("*.log"))
        )

    def wait_for(self, probe: Callable[[], T | None], timeout: float, what: str) -> T:
        """Call ``probe`` until it returns something truthy and return that.

        Fails with every process's log when the time is up, or at once when one of the processes died: a
        crashed worker would otherwise only show as a timeout.
        """
        deadline = time.monotonic() + timeout
        while True:
            value = probe()
            if value:
                return value
            if dead := self.dead():
                pytest.fail(f"{what}: {', '.join(dead)} exited\n{self.tail_logs()}")
            if time.monotonic() > deadline:
                pytest.fail(f"{what} within {timeout:.0f} s\n{self.tail_logs()}")
            time.sleep(0.3)


def clean_environment(**extra: str) -> dict[str, str]:
    """The environment of a host process: the machine's, without the test run's Django and paths."""
    env = {key: value for key, value in os.environ.items() if key not in NOT_INHERITED}
    return {**env, "PYTHONUNBUFFERED": "1", **extra}


@dataclass
class Project:
    """The ``wagtail start`` project: where it is, and its ``manage.py`` run from the host's venv."""

    root: Path
    name: str
    venv: Venv
    env: dict[str, str]

    @property
    def package(self) -> Path:
        return self.root / self.name

    @property
    def media_root(self) -> Path:
        """The project's ``MEDIA_ROOT`` (``BASE_DIR / "media"`` in Wagtail's template)."""
        return self.root / "media"

    def manage(self, *args: str, timeout: float = 300) -> str:
        """Run ``manage.py`` with the host's Python; fail with its output when it fails."""
        completed = subprocess.run(
            [str(self.venv.python), "manage.py", *args],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        command = " ".join(args)[:200]
        assert completed.returncode == 0, (
            f"manage.py {command} failed:\n{completed.stdout[-4000:]}\n{completed.stderr[-4000:]}"
        )
        return completed.stdout

    def shell(self, code: str, timeout: float = 120) -> Any:
        """Run ``code`` in ``manage.py shell``; returns the JSON it printed last, if any."""
        lines = self.manage("shell", "--no-imports", "-c", code, timeout=timeout).strip().splitlines()
        return json.loads(lines[-1]) if lines and lines[-1][:1] in "[{" else None

    def apply_readme(self, snippets: dict[str, str], test_settings: str) -> None:
        """Apply the README's blocks to the project, then ``test_settings`` after the README's settings."""
        append(self.package / "settings" / "base.py", snippets[SETTINGS])
        append(self.package / "settings" / "base.py", test_settings)

        urls = self.package / "urls.py"
        text = urls.read_text()
        catch_all = re.search(r'^(?P<indent>[ \t]*)path\("", include\(wagtail_urls\)\),\n', text, re.M)
        assert catch_all, f"Wagtail's catch-all not found in {urls}:\n{text}"
        patterns = "".join(
            f"{catch_all['indent']}{line}\n" for line in snippets[URL_PATTERNS].splitlines() if line.strip()
        )
        text = text[: catch_all.start()] + patterns + text[catch_all.start() :]
        urls.write_text(snippets[URL_IMPORTS] + text)

        (self.package / "api.py").write_text(snippets[API_MODULE])
        append(self.root / "home" / "models.py", snippets[MODELS])


def append(path: Path, code: str) -> None:
    path.write_text(path.read_text().rstrip("\n") + "\n\n\n" + code.rstrip("\n") + "\n")


# --- a browser, as far as the admin needs one -------------------------------------------------------------


@dataclass
class Form:
    """One ``<form>`` of a page: its action and the fields a browser would submit."""

    id: str
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)

    def names(self) -> set[str]:
        return {name for name, _ in self.fields}


class FormParser(HTMLParser):
    """Collects every form with the values a browser submits: checked boxes only, selected options, textareas.

    A field whose ``form`` attribute names another form belongs to that one, as in a browser: the video
    panel's inputs sit inside the page editor's form but name a form that does not exist, so they are never
    saved with the page.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: dict[str, Form] = {}
        self._current: str | None = None
        self._textarea: tuple[str, str | None] | None = None
        self._text: list[str] = []
        self._select: tuple[str, str | None] | None = None
        self._options: list[tuple[str, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {key: value or "" for key, value in attrs}
        if tag == "form":
            key = attributes.get("id") or f"form-{len(self.forms)}"
            self.forms[key] = Form(key, attributes.get("action", ""), attributes.get("method", "get").lower())
            self._current = key
            return
        name = attributes.get("name")
        owner = attributes.get("form") or self._current
        if tag == "input" and name:
            kind = attributes.get("type", "text").lower()
            if kind in ("submit", "button", "image", "file", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attributes:
                return
            self._add(owner, name, attributes.get("value", "on" if kind in ("checkbox", "radio") else ""))
        elif tag == "textarea" and name:
            self._textarea, self._text = (name, owner), []
        elif tag == "select" and name:
            self._select, self._options = (name, owner), []
        elif tag == "option" and self._select is not None:
            self._options.append((attributes.get("value", ""), "selected" in attributes))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None
        elif tag == "textarea" and self._textarea is not None:
            name, owner = self._textarea
            # A browser drops the newline right after <textarea>.
            self._add(owner, name, "".join(self._text).removeprefix("\n"))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            name, owner = self._select
            chosen = [value for value, selected in self._options if selected] or [
                value for value, _ in self._options[:1]
            ]
            for value in chosen:
                self._add(owner, name, value)
            self._select = None

    def _add(self, owner: str | None, name: str, value: str) -> None:
        if owner is None:
            return
        # A form attribute may name a form the page never opens (the panel's): its fields are kept under that
        # id, with no method, so they are found but never submitted.
        self.forms.setdefault(owner, Form(owner, "", "")).fields.append((name, value))


def parse_forms(html: str) -> dict[str, Form]:
    """The forms of ``html`` by id (``form-N`` for one without), each with the fields a browser submits."""
    parser = FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms


def form_with(html: str, field_name: str) -> Form:
    """The POST form of ``html`` that submits a field named ``field_name``."""
    forms = parse_forms(html)
    for form in forms.values():
        if form.method == "post" and field_name in form.names():
            return form
    raise AssertionError(f"no POST form with a field {field_name!r} among {list(forms)}")


def data_attribute(html: str, name: str) -> str:
    """The value of the first ``name="…"`` attribute in ``html``, unescaped."""
    import html as html_module

    match = re.search(rf'\b{re.escape(name)}="([^"]*)"', html)
    assert match, f"the page has no {name} attribute"
    return html_module.unescape(match[1])


class Browser:
    """One person's session on the site: cookies, CSRF and forms as a browser handles them."""

    TIMEOUT_S = 60

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()

    def url(self, path: str) -> str:
        return urljoin(self.base_url, path)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.get(self.url(path), timeout=self.TIMEOUT_S, **kwargs)

    def log_in(self, username: str, password: str) -> None:
        """Sign in through the admin's login form."""
        page = self.get("/admin/login/")
        assert page.status_code == 200, page.status_code
        form = form_with(page.text, "username")
        data = {**dict(form.fields), "username": username, "password": password}
        answer = self.session.post(
            self.url(form.action or page.url), data=data, timeout=self.TIMEOUT_S, allow_redirects=False
        )
        assert answer.status_code == 302, (
            f"{username} could not log in: {answer.status_code} {answer.text[:500]}"
        )

    def submit(
        self, path: str, field_name: str, changes: dict[str, str], button: str | None = None
    ) -> requests.Response:
        """Load ``path``, fill in the form holding ``field_name`` and submit it, as with ``button``.

        Returns the answer without following its redirect, so the caller sees whether the form was accepted.
        """
        page = self.get(path)
        assert page.status_code == 200, f"GET {path}: {page.status_code}"
        form = form_with(page.text, field_name)
        fields = [(name, value) for name, value in form.fields if name not in changes]
        fields += list(changes.items())
        if button:
            fields.append((button, button))
        return self.session.post(
            self.url(form.action or page.url),
            data=fields,
            headers={"Referer": page.url},
            timeout=self.TIMEOUT_S,
            allow_redirects=False,
        )

    def post_json(self, url: str, payload: dict[str, Any], csrf_token: str) -> requests.Response:
        """What the video panel's controller sends: JSON with the CSRF token in ``X-CSRFToken``."""
        return self.session.post(
            self.url(url),
            data=json.dumps(payload),
            headers={
                "X-CSRFToken": csrf_token,
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
            timeout=self.TIMEOUT_S,
        )
