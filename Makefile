# Two commands for a fresh clone:
#   make run     install the tool alone into .venv (no dev tools, no launchers), then run
#                the default sweep (ARGS="..." adds Hydra overrides)
#   make test    install into .venv with EXTRAS (default dev,launchers: the dev tools and
#                the Hydra launchers the tests use), then lint, type-check (mypy) and run
#                the test suite, one pytest worker per core (pytest-xdist)
# While developing:
#   make test-fast   the same without the tests marked slow (each over ~5 s: end-to-end
#                    runs in subprocesses, kernel variants compiled on first use)
#   make install EXTRAS=...   install with those extras only (launchers, ray, peers...)
# EXTRAS=dev,launchers,ray also installs the Ray launcher (about 400 MB; .ci/run tries it).
# An install with any extras includes the tool, so make run after make test installs nothing.
PYTHON ?= python3
VENV ?= .venv
EXTRAS ?= dev,launchers
BIN = $(VENV)/bin
comma := ,
# One stamp file per set of extras installed, named after the packaging files' checksum:
# editing pyproject.toml or setup.py reinstalls, and drops the stamps of older versions.
HASH := $(shell cat pyproject.toml setup.py | cksum | cut -d' ' -f1)
stamp = $(VENV)/.installed-$(HASH)$(if $(1),-$(subst $(comma),+,$(1)))
spec = $(if $(strip $(1)),.[$(strip $(1))],.)
RUN_STAMP := $(call stamp,)
STAMP := $(call stamp,$(EXTRAS))

.PHONY: run test test-fast bench install

# $(RUN_STAMP): the package and its dependencies; $(STAMP): the same with EXTRAS
$(sort $(RUN_STAMP) $(STAMP)): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e "$(call spec,$(if $(filter $@,$(STAMP)),$(EXTRAS)))"
	find $(VENV) -maxdepth 1 -name '.installed-*' \
		! -name '.installed-$(HASH)' ! -name '.installed-$(HASH)-*' -delete
	touch $@ $(RUN_STAMP)

install: $(STAMP)

run: $(RUN_STAMP)
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
