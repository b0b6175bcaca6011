# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev
# Soak, load, cluster and build runs are marked slow and left to `make test-slow` (or PYTEST_ARGS=...).
PYTEST_ARGS ?= -m "not slow"

.PHONY: run test test-slow lint bench clean screenshots

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(DEVSTAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@ $(STAMP)

run: $(STAMP)
	$(PY) main.py $(ARGS)

test: $(DEVSTAMP)
	bash installers/test-system-deps.sh
	$(VENV)/bin/lint-imports
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest $(PYTEST_ARGS)

test-slow: $(DEVSTAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -m slow

lint: $(DEVSTAMP)
	$(VENV)/bin/lint-imports

bench: $(STAMP)
	$(PY) -m studio bench $(ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
