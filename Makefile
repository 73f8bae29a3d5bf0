# PolicyGuard (保单守护助手). `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      ?= .venv
PY        := $(VENV)/bin/python
RASA      := $(VENV)/bin/rasa
STAMP     := $(VENV)/.installed
# The web console, the one process that faces the internet, runs on a supported Python.
CONSOLE_VENV  ?= .venv-console
CONSOLE_PY    := $(CONSOLE_VENV)/bin/python
CONSOLE_STAMP := $(CONSOLE_VENV)/.installed
export UV
# uv when it is on the PATH, pip otherwise (`make install UV=` forces pip).
UV        ?= $(shell command -v uv 2>/dev/null)
MODEL_STAMP = $(POLICYGUARD_MODELS)/.trained

export HOST         ?= 127.0.0.1
export RASA_PORT    ?= 5005
export ACTIONS_PORT ?= 5055
export CONSOLE_PORT ?= 8000
export POLICYGUARD_DB ?= var/policyguard.db
export POLICYGUARD_TRACKER_DB ?= var/tracker.db
export POLICYGUARD_MODELS ?= models
include bot/quiet.env
export $(shell sed -n 's/^\([A-Z_]*\)=.*/\1/p' bot/quiet.env)
export PYTHONDONTWRITEBYTECODE := 1

# Everything that changes the trained model.
TRAIN_INPUTS := config.yml domain.yml \
	$(shell find data bot/nlu -type f \( -name '*.yml' -o -name '*.py' -o -name '*.txt' \) 2>/dev/null)

.PHONY: help install lock train kb run shell test test-fast browser test-stories test-scenarios screenshots lint format validate eval-nlu sweep-nlu bench-kb bench-live bench-wechat clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-13s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

install: $(STAMP) $(CONSOLE_STAMP) ## Create .venv (Python 3.10: Rasa, actions) and .venv-console (Python 3.12: the console) from their lock files; a no-op when up to date
	@echo "Environments up to date: $(VENV) (Python 3.10, requirements.lock), $(CONSOLE_VENV) (Python 3.12, requirements-console.lock)."

$(STAMP): requirements.lock pyproject.toml scripts/find-python scripts/install-venv
	@scripts/install-venv $(VENV) 3.10 requirements.lock "$(PYTHON)"
	@touch $@

$(CONSOLE_STAMP): requirements-console.lock pyproject.toml scripts/find-python scripts/install-venv
	@scripts/install-venv $(CONSOLE_VENV) 3.12 requirements-console.lock "$(CONSOLE_PYTHON)"
	@touch $@

lock: ## Re-resolve pyproject.toml into requirements.lock (3.10, dev and eval extras) and requirements-console.lock (3.12), keeping pins (needs uv)
	UV_CUSTOM_COMPILE_COMMAND="make lock" uv pip compile --python-version 3.10 \
		--python-platform x86_64-unknown-linux-gnu --generate-hashes \
		pyproject.toml --extra dev --extra eval -o requirements.lock
	UV_CUSTOM_COMPILE_COMMAND="make lock" uv pip compile --python-version 3.12 \
		--python-platform x86_64-unknown-linux-gnu --generate-hashes \
		pyproject.toml -o requirements-console.lock

train: $(STAMP) ## Train the Rasa model into models/ (Rasa skips parts whose inputs did not change)
	$(RASA) train --config config.yml --domain domain.yml --data data --out $(POLICYGUARD_MODELS)
	@touch $(MODEL_STAMP)

$(MODEL_STAMP): $(TRAIN_INPUTS) | $(STAMP)
	@$(MAKE) --no-print-directory train

var:
	@mkdir -p var

kb: $(STAMP) | var ## Build the knowledge base from knowledge/ if the database has none (never overwrites)
	@$(PY) -m bot kb build

run: $(STAMP) $(MODEL_STAMP) kb | var ## Start Rasa, the action server and the web console (Ctrl-C stops all)
	@echo ""
	@echo "  Chat page:     http://$(HOST):$(CONSOLE_PORT)/"
	@echo "  Staff console: http://$(HOST):$(CONSOLE_PORT)/console"
	@echo "  Chat (REST):   POST http://127.0.0.1:$(RASA_PORT)/webhooks/rest/webhook  {\"sender\": \"me\", \"message\": \"我想退保\"}"
	@echo "  Rasa server:   http://127.0.0.1:$(RASA_PORT)/ (loopback only)"
	@echo "  Action server: http://127.0.0.1:$(ACTIONS_PORT)/health (loopback only)"
	@echo "  Terminal chat: make shell"
	@$(PY) -m bot users list | grep -q "^No users" && \
		echo "" && echo "  No console account yet. Create the first one (asks for a password):" && \
		echo "    .venv/bin/python -m bot users add admin --role admin" || true
	@echo ""
	$(VENV)/bin/honcho start -f Procfile

shell: $(STAMP) $(MODEL_STAMP) kb | var ## Chat with the bot in the terminal (starts the action server too)
	@$(PY) -m bot actions --port $(ACTIONS_PORT) >var/actions.log 2>&1 & \
	pid=$$!; trap "kill $$pid 2>/dev/null" EXIT INT TERM HUP; \
	$(PY) -m bot rasa shell --model $(POLICYGUARD_MODELS) --endpoints endpoints.yml

lint: $(STAMP) ## Ruff lint and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP) ## Apply ruff fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

validate: $(STAMP) ## Check the training data and the domain (rasa data validate)
	$(RASA) data validate --config config.yml --domain domain.yml --data data

test: install lint validate $(MODEL_STAMP) ## Lint, validate, train if needed, pytest, dialogue tests
	$(PY) -m pytest
	$(MAKE) --no-print-directory test-stories

test-stories: $(STAMP) $(MODEL_STAMP) ## Dialogue tests: tests/test_stories.yml with rasa test core
	$(RASA) test core --model $(POLICYGUARD_MODELS) --stories tests/test_stories.yml \
		--fail-on-prediction-errors --out results

test-scenarios: $(STAMP) $(MODEL_STAMP) ## Only the whole conversations (tests/scenarios/) on the started servers (part of make test)
	$(PY) -m pytest tests/test_scenarios.py

screenshots: $(STAMP) $(MODEL_STAMP) ## Refresh docs/screenshots/ from the browser tests
	SCREENSHOTS_DIR=docs/screenshots $(PY) -m pytest tests/test_browser.py tests/test_browser_live.py tests/test_browser_review.py tests/test_browser_readable.py tests/test_browser_kb_review.py tests/test_browser_chat.py

browser: ## Install Debian's Chromium and CJK fonts for the browser tests (apt; root or sudo)
	@scripts/install-chromium

test-fast: $(STAMP) ## Unit tests only (no model training)
	$(PY) -m pytest -m "not slow"

eval-nlu: $(STAMP) ## 5-fold cross-validation of the NLU vs a baseline, then held-out phrasings -> docs/benchmarks.md
	$(PY) -m bot eval-nlu --folds 5 --out docs

sweep-nlu: $(STAMP) ## Pipeline variants scored on real language (bot/nlu/sweep.py, ~6 min each) -> docs/benchmarks.md
	$(PY) -m bot nlu sweep --out docs

bench-kb: $(STAMP) ## Knowledge-base search latency, import time and size -> docs/benchmarks.md
	$(PY) -m bot kb bench

bench-live: $(STAMP) $(MODEL_STAMP) ## Time from an agent's 发送 in the console to the chat page, in Chromium -> docs/benchmarks.md
	$(PY) -m pytest -q -s tests/bench_live.py

bench-wechat: $(STAMP) $(MODEL_STAMP) ## The WeChat channel under the simulator: passive-reply times, retry storms -> docs/benchmarks.md
	$(PY) -m pytest -q -s tests/bench_wechat.py

clean: ## Remove trained models and caches (keeps .venv and var/)
	rm -rf $(POLICYGUARD_MODELS) .rasa .pytest_cache .ruff_cache results
