VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: install chat test check bench eval clean

install: $(STAMP)

# torch first: the pinned CPU wheel is on disk; an unpinned torch would pull a 5 GB CUDA build.
$(STAMP): pyproject.toml
	test -x $(PY) || python3.11 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e '.[dev]'
	touch $(STAMP)

chat: install
	$(VENV)/bin/rag chat --build

test: install
	$(VENV)/bin/pytest -q

check: install
	$(VENV)/bin/ruff check rag ui eval tests
	$(VENV)/bin/ruff format --check rag ui eval tests
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) index/chroma index/*.json index/bm25
