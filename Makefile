# The two commands of the README:
#   make demo   set up, load the demo data on SQLite and serve it at http://127.0.0.1:8000
#   make test   install what the tests need (packages, Chromium, CJK fonts) and run them all
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: demo test install install-test browser serve bench

$(BIN)/scaleup: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

install: $(BIN)/scaleup

demo: install
	$(BIN)/scaleup demo --serve

serve: install
	$(BIN)/scaleup serve

$(VENV)/.test-installed: pyproject.toml $(BIN)/scaleup
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install-test: $(VENV)/.test-installed

# Debian's Chromium and CJK fonts (without them Chinese renders as boxes in screenshots).
browser:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi 'Noto Sans CJK'; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

test: install-test browser
	$(BIN)/pytest -q

# The national-scale benchmarks of spec/quality.md (never part of `make test`): generates the data
# set in PostgreSQL (127.0.0.1:5432), runs every scenario against a real server, writes BENCHMARKS.md.
bench: install
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench
