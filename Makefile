# Two commands matter: `make demo` and `make test`. Both set themselves up on a fresh machine.
# Needs Python 3.11+ and make; Node.js 20+ (and Chromium for the tests) come from apt-get where
# there is one. What cannot be installed stops make with one line saying what to install.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CHECKOV_VENV := .venv-checkov
SAMPLE := samples/contoso-manufacturing-call.vtt
DEMO_OUT ?= out/demo
NODE_STAMP ?= node_modules/.installed
CHROMIUM ?= /usr/bin/chromium

.PHONY: demo demo-offline demo-playground test lint bench eval scan setup node chromium checkov clean

demo: demo-playground

demo-offline: setup
	@echo "== 1/2  Offline analysis of the bundled sample call: $(SAMPLE)"
	$(PY) -m mcem.cli analyze $(SAMPLE) --out $(DEMO_OUT)
	@echo

# Target-specific: the Node check below names what needs it.
demo-playground: NEEDED_BY = the Playground step of make demo (step 2/2)
demo-playground: demo-offline node
	@echo "== 2/2  The Teams bot in the Microsoft 365 Agents Playground (Graph emulator, offline analyzer)"
	@if [ -t 0 ] && [ -t 1 ]; then $(PY) scripts/demo.py; else $(PY) scripts/demo.py --check; fi

test: NEEDED_BY = make test (the Agents Playground, Azurite and the browser tests)
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

# Each check prints nothing when all is well (installing first where it can), or the one line
# that $(error) stops make with. Expanded only when the recipe runs.
PYTHON_PROBLEM = $(shell sh scripts/ensure_python.sh "$(PYTHON)")
NODE_PROBLEM = $(shell sh scripts/ensure_node.sh "$(or $(NEEDED_BY),make)")
CHROMIUM_PROBLEM = $(shell sh scripts/ensure_chromium.sh "$(CHROMIUM)" "$(or $(NEEDED_BY),make)")

$(VENV)/.installed: pyproject.toml
	@$(if $(PYTHON_PROBLEM),$(error $(PYTHON_PROBLEM)))
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

# checkov in a virtual environment of its own: tests/checkov-requirements.txt says why.
checkov: $(CHECKOV_VENV)/.installed

$(CHECKOV_VENV)/.installed: tests/checkov-requirements.txt
	@$(if $(PYTHON_PROBLEM),$(error $(PYTHON_PROBLEM)))
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet -r tests/checkov-requirements.txt
	@touch $@

node: $(NODE_STAMP)

$(NODE_STAMP): package.json package-lock.json
	@$(if $(NODE_PROBLEM),$(error $(NODE_PROBLEM)))
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

chromium:
	@$(if $(CHROMIUM_PROBLEM),$(error $(CHROMIUM_PROBLEM)))

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) node_modules out test-artifacts .pytest_cache
