# Two commands: `make run` (install and serve the app) and `make test` (install and run the tests).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test install install-test system-deps ingest eval bench clean demo-data demo-site

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"

# Browser tests need Debian's chromium and CJK fonts; the scale-out tests the PostgreSQL 15 server binaries
# (tests/servers.py starts a throwaway server from them). Installed when we can (root + apt).
PG_BIN ?= /usr/lib/postgresql/15/bin
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	fc-list 2>/dev/null | grep -qi "noto.*cjk" || missing="$$missing fonts-noto-cjk"; \
	[ -x $(PG_BIN)/initdb ] || missing="$$missing postgresql"; \
	if [ -z "$$missing" ]; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else echo "note: install$$missing for the browser and scale-out tests"; fi

run: install
	$(BIN)/python app.py

test: install-test system-deps
	$(BIN)/python -m pytest -q

ingest: install
	$(BIN)/python ingest.py

eval: install
	$(BIN)/python -m eval.run --cases eval/cases/dev.jsonl --out eval/out

bench: install
	$(BIN)/python bench/ask_latency.py

clean:
	rm -rf $(VENV) data eval/out

# The dev set replayed as labelled demo conversations (session ids demo-…) with feedback, surveys and desk
# work, so that the staff console's 运营看板 has figures to show.
demo-data: install
	$(BIN)/python -m eval.demo_data

# A mock bank homepage on http://localhost:8080 with the widget, and the app (configured to accept it) on :7860.
demo-site: install
	$(BIN)/python -m demo.bank_site --port 8080 --chat-url http://127.0.0.1:7860 --serve-app
