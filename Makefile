# Werkgeversportaal: `make run` starts everything, `make test` tests everything.
SHELL := /bin/bash
.DEFAULT_GOAL := help

ASSISTANT_VENV := .venv
PORTAL_VENV    := portal/.venv
RASA           := $(ASSISTANT_VENV)/bin/rasa
STAMPS         := .make
MODEL          := models/assistant.tar.gz
CATALOG_PO     := $(wildcard portal/src/portal/locale/*/LC_MESSAGES/messages.po)
CATALOG_MO     := $(CATALOG_PO:.po=.mo)
# What the model is trained from (channels in bot/channels are not); a change in any of these retrains it.
TRAINING_INPUT := config.yml domain.yml $(shell find data bot/components -type f \( -name '*.yml' -o -name '*.py' \) 2>/dev/null | sort)

export PYTHONDONTWRITEBYTECODE := 1
# TensorFlow's C++ start-up chatter hides the useful lines.
export TF_CPP_MIN_LOG_LEVEL := 2
# Rasa would otherwise send usage telemetry to the internet.
export RASA_TELEMETRY_ENABLED := false

.PHONY: outbox chat help install run run-scaled test test-scaled test-portal test-assistant validate lint train db totp lock clean teams-package nlu-report bench

help:
	@echo "make run    install what is missing, train when needed, seed the database, start everything"
	@echo "make test   the whole test suite (what CI runs)"
	@echo "make run-scaled    the same on PostgreSQL + Redis, 2 Rasa, 2 action servers, 2 portal workers behind nginx"
	@echo "make test-scaled   the end-to-end tests against that scaled stack"
	@echo "make totp ACCOUNT=demo.hr   a current TOTP code for a demo account"
	@echo "make chat ACCOUNT=demo.hr   chat with the assistant in the terminal (with make run running)"

# --- environments -------------------------------------------------------------------------------

$(STAMPS)/system:
	@mkdir -p $(STAMPS)
	@# PostgreSQL's server is needed for the tests that prove DATABASE_URL works.
	@# Chromium (Debian's, never a downloaded browser) is what the browser tests drive; npm installs the widget.
	@# Redis and nginx: the scaled-out stack (make run-scaled, make test-scaled).
	@missing=""; \
	if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then missing="$$missing postgresql"; fi; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || missing="$$missing nginx-light"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get update -qq && \
	  $$( [ "$$(id -u)" = 0 ] || echo sudo ) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
	@touch $@

# The chat widget (rasa-webchat) and the Teams test client, from the npm registry, as locked.
$(STAMPS)/web: web/package.json web/package-lock.json $(STAMPS)/system
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(STAMPS)/assistant: requirements/assistant.lock pyproject.toml
	@mkdir -p $(STAMPS)
	@test -x $(ASSISTANT_VENV)/bin/python || $$(scripts/find-python 3.10) -m venv $(ASSISTANT_VENV)
	$(ASSISTANT_VENV)/bin/pip install --quiet --disable-pip-version-check "pip==24.3.1"
	$(ASSISTANT_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements/assistant.lock
	@touch $@

$(STAMPS)/portal: portal/requirements.lock portal/pyproject.toml
	@mkdir -p $(STAMPS)
	@test -x $(PORTAL_VENV)/bin/python || $$(scripts/find-python 3.11) -m venv $(PORTAL_VENV)
	$(PORTAL_VENV)/bin/pip install --quiet --disable-pip-version-check "pip==24.3.1"
	$(PORTAL_VENV)/bin/pip install --quiet --disable-pip-version-check -r portal/requirements.lock
	$(PORTAL_VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps -e portal
	@touch $@

%.mo: %.po $(STAMPS)/portal
	$(PORTAL_VENV)/bin/pybabel compile --statistics -i $< -o $@

install: $(STAMPS)/system $(STAMPS)/assistant $(STAMPS)/portal $(STAMPS)/web $(CATALOG_MO)

# --- model and database -------------------------------------------------------------------------

# Trains only when the training input changed (its fingerprint is kept next to the model).
train: $(STAMPS)/assistant
	@mkdir -p models
	@fingerprint=$$(cat $(TRAINING_INPUT) | sha256sum | cut -d' ' -f1); \
	if [ -f $(MODEL) ] && [ "$$(cat models/.fingerprint 2>/dev/null)" = "$$fingerprint" ]; then \
	  echo "Model is up to date ($(MODEL))."; \
	else \
	  echo "Training the model (data, config or domain changed)..."; \
	  $(RASA) train --fixed-model-name assistant --out models && echo "$$fingerprint" > models/.fingerprint; \
	fi

# Migrates (Alembic) and seeds the demo data when the database is empty; DATABASE_URL selects PostgreSQL.
db: install
	$(PORTAL_VENV)/bin/portal init-db

# --- run ----------------------------------------------------------------------------------------

run: install train db
	$(PORTAL_VENV)/bin/honcho start -f Procfile

# The same on standard engines, scaled out: PostgreSQL, Redis, the portal with 2 workers, 2 action servers and
# 2 Rasa processes behind nginx, on the same public ports (scripts/run_scaled.py; docs/DEPLOYMENT.md).
run-scaled: install train
	$(ASSISTANT_VENV)/bin/python scripts/run_scaled.py

totp: $(STAMPS)/portal
	@$(PORTAL_VENV)/bin/python -c "import pyotp, sys; from portal.seed import ACCOUNTS; \
	  s = {a.username: a.totp_secret for a in ACCOUNTS}; u = '$(ACCOUNT)'; \
	  print(pyotp.TOTP(s[u]).now()) if u in s else sys.exit('ACCOUNT must be one of: ' + ', '.join(s))"

# The e-mails the portal sent (no mail leaves a dev machine unless PORTAL_SMTP_HOST is set): `make outbox ARGS="--last"`.
outbox: db
	@$(PORTAL_VENV)/bin/portal outbox $(ARGS)

# Chat in the terminal as a demo user (needs `make run` in another terminal).
chat: $(STAMPS)/portal
	@$(PORTAL_VENV)/bin/python scripts/chat.py $(or $(ACCOUNT),demo.hr)

# The Teams app package for a Teams admin to upload (bot id from TEAMS_APP_ID, see the README).
teams-package:
	@python3 scripts/teams_package.py --out dist/teams-app.zip

# --- test ---------------------------------------------------------------------------------------

lint: install
	$(PORTAL_VENV)/bin/ruff check .

# rasa data validate, failing on every warning (see the script for the one false alarm it checks itself).
validate: install
	$(ASSISTANT_VENV)/bin/python scripts/validate_data.py

test-portal: install
	cd portal && .venv/bin/python -m pytest

test-assistant: install train
	$(RASA) test core --stories tests/stories --model $(MODEL) --out results/core --fail-on-prediction-errors
	$(ASSISTANT_VENV)/bin/python -m pytest --ignore=tests/scaled

# The end-to-end conversations (and the service desk's) against the scaled stack, plus tests/scaled, which
# proves the scaling: one conversation across both Rasa processes, a killed process, two portal workers.
# Two tests put a collective upload straight into the SQLite file; they do not apply on PostgreSQL.
test-scaled: install train
	WGP_STACK=scaled $(ASSISTANT_VENV)/bin/python -m pytest tests/assistant tests/desk tests/scaled \
	  --deselect tests/assistant/test_changes.py::test_a_collective_change_in_progress_is_explained_and_handed_over \
	  --deselect tests/assistant/test_lookup.py::test_a_collective_upload_in_progress_is_listed

test: lint validate test-portal test-assistant test-scaled

# Cross-validated intent and entity F1 per language (production config.yml, 5 seeded folds, ~10 min on 2 cores):
# writes reports/nlu/latest.md and latest.json and says loudly when a target is missed; a report, never a failure.
nlu-report: $(STAMPS)/assistant
	$(ASSISTANT_VENV)/bin/python scripts/nlu_report.py --folds $(or $(FOLDS),5)

# The four benchmarks of issue 7 (conversation turns vs a stock bot, portal, workbooks, training), one summary at
# the end; `make bench QUICK=1` is a short smoke run, `make bench RECORD=1` appends the summary to bench/RESULTS.md.
bench: install train
	$(PORTAL_VENV)/bin/python bench/run_all.py $(if $(QUICK),--quick) $(if $(RECORD),--record)

# --- maintenance --------------------------------------------------------------------------------

# Re-resolves every pinned package from the direct dependencies in the two pyproject files.
lock:
	rm -rf /tmp/wgp-lock && $$(scripts/find-python 3.10) -m venv /tmp/wgp-lock/a && $$(scripts/find-python 3.11) -m venv /tmp/wgp-lock/p
	/tmp/wgp-lock/a/bin/pip install --quiet ".[dev]" && \
	  (echo "# Every package of the assistant environment (Python 3.10), pinned. Regenerate with \`make lock\`."; \
	   /tmp/wgp-lock/a/bin/pip freeze --exclude-editable | grep -v werkgeversportaal) > requirements/assistant.lock
	/tmp/wgp-lock/p/bin/pip install --quiet "./portal[dev]" && \
	  (echo "# Every package of the portal environment (Python 3.11), pinned. Regenerate with \`make lock\`."; \
	   /tmp/wgp-lock/p/bin/pip freeze --exclude-editable | grep -v werkgeversportaal) > portal/requirements.lock

clean:
	rm -rf $(STAMPS) $(ASSISTANT_VENV) $(PORTAL_VENV) models results var
