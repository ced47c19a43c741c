# Two commands matter: `make demo` runs the product on its embedded default, `make test` passes the tests.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DIST := dist
PACKAGING := packaging/protocol/pyproject.toml packaging/runner/pyproject.toml packaging/hatch_source.py

.PHONY: setup demo test load lint messages bench gpu-check gpu-host-bundle gpu-host-rehearsal dist system-packages clean

setup: $(STAMP)

# The three distributions editable (the plugin, the contract, the runner with speech and Hallo2), then the test,
# example-shop and lint tools. torch comes first and pinned: an unpinned torch pulled in by another package is a
# multi-GB CUDA build.
$(STAMP): pyproject.toml $(PACKAGING)
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e . -e packaging/protocol -e 'packaging/runner[tts,hallo2]' --group test --group lint
	touch $(STAMP)

demo: setup
	$(PY) -m shop.demo

# What the suite needs beyond Python's packages: Debian's Chromium for the browser tests (Playwright drives
# Debian's build; it downloads no browser) and a font for its pages; Debian's RabbitMQ server, of which the
# fault tests start a node of their own; GNU gettext, with which the catalogue tests extract the admin's strings;
# and Cloudflare's R2 simulator from npm, which checks the storage tests' signatures as R2 does.
system-packages: tests/r2/node_modules/.installed
	@if ! command -v rabbitmq-server >/dev/null && [ ! -x /usr/lib/rabbitmq/bin/rabbitmq-server ]; then \
		echo "installing Debian's rabbitmq-server for the fault tests"; \
		sudo=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends rabbitmq-server >/dev/null; \
	fi
	@if ! command -v msgfmt >/dev/null; then \
		echo "installing GNU gettext for the translation catalogue tests"; \
		sudo=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends gettext >/dev/null; \
	fi
	@if ! command -v chromium >/dev/null; then \
		echo "installing Debian's chromium for the browser tests"; \
		sudo=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends \
			chromium fonts-dejavu-core >/dev/null; \
	fi

# The suite runs against the real services: PostgreSQL for the end-to-end tests, and a Redis database of its own.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/aivideo
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

test: setup system-packages
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m pytest $(PYTEST_ARGS)

# The load test (tests/load): 50 clients for 60 s while 200 batch jobs drain through two runners; ~5 min on 2 cores.
load: setup
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m pytest -m load -s tests/load

lint: setup
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

# The plugin's admin catalogues (video_plugin/locale), and the example shop's (shop/locale, its tenancy's words
# in the panel): refreshed from the sources for every language shipped, then compiled. The .mo files are
# committed, so a wheel built anywhere carries them; tests/video_plugin/test_admin_languages.py fails while a
# string is untranslated or a .mo is stale. Needs GNU gettext.
ADMIN_LANGUAGES := de fr
messages: setup
	cd video_plugin && for domain in django djangojs; do \
		../$(PY) ../manage.py makemessages --domain $$domain --no-obsolete --add-location file \
			$(addprefix --locale ,$(ADMIN_LANGUAGES)) || exit 1; \
	done
	cd shop && ../$(PY) ../manage.py makemessages --domain django --no-obsolete --add-location file \
		$(addprefix --locale ,$(ADMIN_LANGUAGES))
	for package in video_plugin shop; do \
		(cd $$package && ../$(PY) ../manage.py compilemessages) || exit 1; \
	done

# The three wheels into dist/: wagtail-ai-video, wagtail-ai-video-protocol, wagtail-ai-video-runner.
dist: setup
	rm -rf $(DIST)
	for project in . packaging/protocol packaging/runner; do \
		$(PY) -m build --no-isolation --wheel --outdir $(DIST) $$project || exit 1; \
	done

bench: setup
	$(PY) -m bench.pipeline
	$(PY) -m gpu_runner bench compose

# On a GPU host: the CUDA tests (fp16 residency, fused attention, memory between jobs, a real out-of-memory error),
# the fp16 parity test, then the full-size benchmark (released weights in HALLO_MODELS_DIR, else random ones).
gpu-check: setup
	@$(PY) -c "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 'gpu-check needs a CUDA GPU')"
	$(PY) -m pytest -s --confcutdir tests/gpu_runner/hallo2 \
		tests/gpu_runner/hallo2/test_cuda.py tests/gpu_runner/hallo2/test_parity_fp16.py
	$(PY) -m gpu_runner bench hallo2 --full

# Here, where pip works: what a GPU host without internet needs for packaging/gpu_host/run.py (.gpu-host/).
gpu-host-bundle: setup
	$(PY) packaging/gpu_host/bundle.py

# The GPU-host recipe rehearsed on this CPU with tiny models, in a fresh venv standing in for the host (~6 min).
gpu-host-rehearsal: setup
	$(PY) -m pytest tests/packaging/test_gpu_host.py

tests/r2/node_modules/.installed: tests/r2/package-lock.json
	@command -v npm >/dev/null || { echo "error: the storage tests need Node.js 20 or newer with npm"; exit 1; }
	npm ci --prefix tests/r2 --no-audit --no-fund
	touch $@

clean:
	rm -rf $(VENV) demo-data $(DIST)
