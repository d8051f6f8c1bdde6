# Set-up and everyday commands. Every target creates .venv when it is missing.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: up test lint install dev proto bench clean

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

## make up: install the package and run the whole stack in the foreground.
up: install
	$(VENV)/bin/sutra up

lint: dev
	$(VENV)/bin/ruff check sutra_stack tests bench
	$(VENV)/bin/mypy

## make test: install test dependencies, run ruff, mypy and every test.
test: lint
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
