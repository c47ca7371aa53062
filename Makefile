# Two commands for a fresh clone:
#   make run     install into .venv, then run the default sweep (ARGS="..." adds Hydra overrides)
#   make test    install into .venv with the dev tools, then lint, type-check (mypy) and
#                run the test suite, one pytest worker per core (pytest-xdist)
# While developing:
#   make test-fast   the same without the tests marked slow (each over ~5 s: end-to-end
#                    runs in subprocesses, kernel variants compiled on first use)
# EXTRAS=dev,launchers,ray also installs the Ray launcher (about 400 MB; .ci/run tries it).
PYTHON ?= python3
VENV ?= .venv
EXTRAS ?= dev,launchers
BIN = $(VENV)/bin
# reinstall when the packaging files or the extras change
STAMP = $(VENV)/.installed-$(shell (cat pyproject.toml setup.py; echo $(EXTRAS)) | cksum | cut -d' ' -f1)

.PHONY: run test test-fast bench install

$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/adagrad-lab $(ARGS)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -n auto --dist worksteal $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -n auto --dist worksteal -m "not slow" $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m adagrad_lab.bench $(ARGS)
