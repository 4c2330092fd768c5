# One entry point for set-up, running and testing. Everything installs into .venv.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
# Where Ivy caches the JVM packages' JARs, shared by every clone on this machine.
export INFLUENCE_JARS_CACHE ?= $(HOME)/.cache/influence/jars
# This machine's Maven Central mirror has no io.graphframes artifacts: ../shared/maven, where
# it exists, is a local Maven repository with GraphFrames built from source (its README.md).
SHARED_MAVEN := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))../shared/maven)
ifneq ($(wildcard $(SHARED_MAVEN)),)
export INFLUENCE_SPARK__GRAPHFRAMES_PACKAGE ?= io.graphframes:graphframes-spark4_2.13:0.11.0-e49a655b-spark42fix
export INFLUENCE_SPARK__REPOSITORIES ?= ["file://$(SHARED_MAVEN)"]
endif

.PHONY: setup browser run test test-fast lock clean

## setup: .venv with the locked dependencies, the project (editable) and the JVM packages (Delta, GraphFrames)
# Bytecode is compiled at install: where PYTHONDONTWRITEBYTECODE is set (this machine), every
# interpreter would otherwise recompile what it imports (Airflow's import 17 s -> 6 s).
setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || \
	  { echo "error: Python 3.11 is required; $(PYTHON) is not it (set PYTHON=/path/to/python3.11)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	$(BIN)/python -m influence.spark --prefetch
	touch $@

## run: the whole pipeline on the built-in sample into ./lake
run: setup
	$(BIN)/influence run

## browser: Debian's Chromium, in which the tests look at the HTML report
browser:
	@command -v chromium >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  echo "installing Debian's chromium for the report test"; \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null || \
	  { $$SUDO apt-get update -q >/dev/null && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; }; \
	  command -v chromium >/dev/null || { echo "error: chromium could not be installed (apt-get install chromium)"; exit 1; }; }

# pytest-xdist workers, each with its own local SparkSession; a module's tests stay in one
# worker, so its module-scoped lakes are built once. 0 (the default) runs the suite in this
# process: on 2 cores the suite is CPU-bound and two workers gained nothing (tests/README.md).
TEST_WORKERS ?= 0
PYTEST := $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

## test: the whole test suite (budget: 25 minutes on 2 cores; tests/README.md)
test: setup browser
	$(PYTEST)

## test-fast: the unit tests and the quick integration tests, for the inner loop (under 5 minutes)
test-fast: setup browser
	$(PYTEST) -m "not slow"

## lock: recompile requirements.lock from the pins in pyproject.toml
lock:
	test -x $(BIN)/uv || { $(PYTHON) -m venv $(VENV) && $(BIN)/python -m pip install --quiet uv==$(UV_VERSION); }
	$(BIN)/uv pip compile pyproject.toml --extra test --python-version 3.11 \
	  --custom-compile-command "make lock" -o requirements.lock

clean:
	rm -rf $(VENV) lake spark-warehouse .pytest_cache
