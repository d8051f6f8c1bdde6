# Set-up and everyday commands. Every target creates .venv when it is missing.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: up test lint install dev proto bench clean web web-deps web-test chromium wheel nginx

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

dev: $(VENV)/.installed-test

# The web workspace (web/: the client and the dashboard): `npm ci` from the lockfile when
# node_modules is missing or older than it; `make web` builds both into the package.
WEB := web
WEB_INSTALLED := $(WEB)/node_modules/.package-lock.json
HAVE_NPM := $(shell command -v npm 2>/dev/null)

$(WEB_INSTALLED): $(WEB)/package-lock.json
	cd $(WEB) && npm ci --no-audit --no-fund
	touch $@

web-deps: $(WEB_INSTALLED)

web: web-deps
	cd $(WEB) && npm run build

## make web-test: the Vitest component tests of every page of the workspace.
web-test: web-deps
	cd $(WEB) && npm test

# Browser tests drive Debian's chromium (Playwright's own download is not used); root installs it.
chromium:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium; } || \
		{ echo "chromium is missing: apt-get install -y chromium (as root)" >&2; exit 1; }

# tests/deploy run Debian's nginx (nginx -t on every generated site) and join network namespaces with
# veth pairs (iproute2's ip) for the multi-machine test; root installs them.
nginx:
	@{ command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; } && command -v ip >/dev/null && \
		command -v curl >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nginx-light iproute2 curl \
		openssl; } || { echo "nginx, ip or curl is missing: apt-get install -y nginx-light iproute2 curl (as root)" >&2; \
		exit 1; }

## make wheel: a wheel carrying the client's production build (installs without Node.js).
wheel: web | $(PY)
	$(PY) -m pip wheel -q --no-deps -w dist .

## make up: install the package and run the whole stack in the foreground.
up: install $(if $(HAVE_NPM),web-deps)
	$(VENV)/bin/sutra up

lint: dev
	$(VENV)/bin/ruff check sutra_stack tests bench
	$(VENV)/bin/mypy

## make test: install test dependencies, run ruff, mypy and every test.
test: lint web web-test chromium nginx
	$(PY) -m pytest $(PYTEST_ARGS)

proto: dev
	$(PY) -m grpc_tools.protoc -I sutra_stack/storage/proto \
		--python_out=sutra_stack/storage/proto --grpc_python_out=sutra_stack/storage/proto \
		--pyi_out=sutra_stack/storage/proto sutra_stack/storage/proto/storage.proto
	sed -i 's/^import storage_pb2/from . import storage_pb2/' sutra_stack/storage/proto/storage_pb2_grpc.py

bench: dev
	@for f in bench/bench_*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
