# The README's two commands: `make demo` and `make test`. Each sets everything up first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: setup demo test sync release

setup: $(VENV)/.installed

# bubblewrap isolates each submission's kernel during grading (see course/grading/sandbox.py);
# chromium and chromium-driver run the browser tests (pages made from submissions run no student script);
# configurable-http-proxy (npm, run by Debian's nodejs) is JupyterHub's proxy, for the hub's tests (docs/hub.md);
# postgresql gives the server the `cluster` tests start on 127.0.0.1 (the gradebook on PostgreSQL, docs/scale.md).
$(VENV)/.installed: pyproject.toml
	@command -v bwrap >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq bubblewrap; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq bubblewrap; fi; }
	@ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq postgresql; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq postgresql; fi; }
	@{ command -v chromium >/dev/null && command -v chromedriver >/dev/null; } || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium chromium-driver; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium chromium-driver; fi; }
	@command -v configurable-http-proxy >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  command -v npm >/dev/null || { $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq nodejs npm; }; \
	  $$SUDO npm install -g configurable-http-proxy; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e .
	touch $@

demo: setup
	$(PY) -m course demo

test: setup
	$(PY) -m pytest

# Instructor chores: regenerate the .ipynb from the .md, then the student releases.
sync: setup
	$(PY) -m course sync

release: sync
	$(PY) -m course data
	$(PY) -m course release
