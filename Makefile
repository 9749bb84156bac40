# The two commands a newcomer needs: `make serve` and `make test` (see README).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SHARED_SEEDS ?= ../shared/seeds
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: serve test test-all setup setup-dev seeds index lint eval bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e .
	touch $@

# torch first, pinned: the CPU build on this disk (a bare `torch` would pull a multi-GB CUDA build).
$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev,st,milvus,ray]'
	touch $(VENV)/.installed $@

setup: $(VENV)/.installed
setup-dev: $(VENV)/.installed-dev

seeds:
	@mkdir -p seeds
	@for f in $(SHARED_SEEDS)/*.txt; do [ -e "$$f" ] || continue; \
	  [ -e "seeds/$$(basename $$f)" ] || cp "$$f" seeds/; done

index: setup seeds
	$(PY) -m app ingest

serve: index
	$(PY) -m app serve --host $(HOST) --port $(PORT)

lint: setup-dev
	$(VENV)/bin/ruff check app evaluation tests bench
	$(VENV)/bin/ruff format --check app evaluation tests bench

# Lint, build the seed index, run the eval gate over HTTP, then the fast tests (not slow, st, browser).
FAST := not slow and not st and not browser
test: setup-dev seeds lint
	$(PY) -m app ingest
	$(PY) -m evaluation run
	$(PY) -m pytest -q -m "$(FAST)" --durations=10

# The same, then every test: what CI (.ci/run) runs.
test-all: setup-dev seeds lint
	$(PY) -m app ingest
	$(PY) -m evaluation run
	$(PY) -m pytest -q --durations=15

eval: index
	$(PY) -m evaluation run

bench: index
	$(PY) bench/ingest.py
	$(PY) bench/ask.py

clean:
	rm -rf $(VENV) index/gen-* index/CURRENT index/.lock
