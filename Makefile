# Two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
# The CPU build of torch used by tests and CI here; GPU users install the
# `train` extra themselves and get their CUDA build.
TORCH_PIN ?= torch==2.13.0

.PHONY: run test bench lint typecheck clean venv test-deps system-deps

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip

# Runtime only: numpy, mediapipe (OpenCV), onnxruntime, paho-mqtt, PyQt6.
$(VENV)/.runtime-installed: pyproject.toml | $(PY)
	$(PIP) install -e .
	touch $@

# Everything the tests need: runtime + train (torch pinned) + dev tools.
$(VENV)/.test-installed: pyproject.toml $(VENV)/.runtime-installed
	$(PIP) install "$(TORCH_PIN)"
	$(PIP) install -e ".[train,dev,deploy,openvino]" "$(TORCH_PIN)"
	touch $@

venv: $(VENV)/.runtime-installed

test-deps: $(VENV)/.test-installed system-deps

# System packages the tests use, from Debian when missing: mosquitto (the MQTT tests
# start their own broker), shellcheck (install.sh), openssl (test TLS certificates).
SYSTEM_PACKAGES := mosquitto shellcheck openssl
system-deps:
	@missing=""; \
	for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

run: $(VENV)/.runtime-installed
	$(PY) -m edge_app run

test: test-deps
	$(PY) -m pytest

bench: test-deps
	$(PY) benchmarks/run_all.py

lint: test-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info
