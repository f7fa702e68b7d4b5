# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
PORT   ?= 8888
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: setup run test clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

run: setup
	$(BIN)/python portal.py migrate
	$(BIN)/python portal.py demo
	$(BIN)/python portal.py serve --port $(PORT)

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) data test-artifacts .pytest_cache
