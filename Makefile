# Two commands matter: `make demo` and `make test`. Both set themselves up on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CHECKOV_VENV := .venv-checkov
SAMPLE := $(firstword $(wildcard samples/*.vtt))

.PHONY: demo test lint bench eval scan setup node chromium checkov clean

demo: setup node
	@echo "== 1/2  Offline analysis of the bundled sample call: $(SAMPLE)"
	$(PY) -m mcem.cli analyze $(SAMPLE) --out out/demo
	@echo
	@echo "== 2/2  The Teams bot in the Microsoft 365 Agents Playground (Graph emulator, offline analyzer)"
	@if [ -t 0 ] && [ -t 1 ]; then $(PY) scripts/demo.py; else $(PY) scripts/demo.py --check; fi

test: setup node chromium checkov
	$(PY) -m pytest -q -p no:cacheprovider

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: setup
	@for b in benchmarks/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

# The quality benchmark of issue 9: every samples/<name>.vtt with a <name>.key.json, offline engine.
# `make eval EVAL_ARGS="--engine llm"` measures the configured model; add --check to fail on a missed goal.
eval: setup
	$(PY) benchmarks/quality.py $(EVAL_ARGS)

# The Bicep template and Dockerfile under checkov's policies, offline (tests/checkov_offline.py).
scan: checkov
	$(CHECKOV_VENV)/bin/python tests/checkov_offline.py -d deploy --framework bicep dockerfile secrets --compact

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "MCEM Analyst needs Python 3.11 or newer: run make PYTHON=python3.11 (or newer)")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

# checkov in a virtual environment of its own: tests/checkov-requirements.txt says why.
checkov: $(CHECKOV_VENV)/.installed

$(CHECKOV_VENV)/.installed: tests/checkov-requirements.txt
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet -r tests/checkov-requirements.txt
	@touch $@

node: node_modules/.installed

node_modules/.installed: package.json package-lock.json
	@sh scripts/ensure_node.sh
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

chromium:
	@sh scripts/ensure_chromium.sh

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) node_modules out test-artifacts .pytest_cache
