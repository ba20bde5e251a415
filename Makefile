# Two entry points (see README): `make demo` runs the product, `make test` runs every test.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: venv demo test clean

$(BIN)/aiivr: pyproject.toml
	# Debian's python3 may lack the venv module (package python3-venv); fall back to virtualenv from PyPI.
	$(PYTHON) -m venv $(VENV) 2>/dev/null || { rm -rf $(VENV); \
	  $(PYTHON) -m pip install --quiet --user --break-system-packages virtualenv && $(PYTHON) -m virtualenv --quiet $(VENV); }
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/aiivr

venv: $(BIN)/aiivr

# A simulated contact centre in a throwaway folder: no Asterisk, no root (docs/demo.md).
demo: venv
	$(BIN)/aiivr demo

# The PostgreSQL tier runs against a throwaway local server when PostgreSQL is installed
# (CI always installs it); AIIVR_TEST_PG_URL may name another server instead.
test: venv
	@if [ -z "$$AIIVR_TEST_PG_URL" ] && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  export AIIVR_TEST_PG_URL="$$(.ci/start-postgres.sh)"; fi; \
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
