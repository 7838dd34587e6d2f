# Two entry points for a fresh machine: `make run` and `make test` (see README).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup run test check lint typecheck clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/trajectoryrl localnet --epochs 2

test: $(STAMP)
	$(PY) -m pytest -q -ra

check: $(STAMP)
	$(VENV)/bin/ruff check clawbench trajectoryrl neurons tests benchmarks
	$(VENV)/bin/ruff format --check clawbench trajectoryrl neurons tests benchmarks
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
