# The README's two commands: `make demo` and `make test`. Both create .venv and
# install the project (pinned by constraints.txt) on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test test-bench lint unit bench clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip>=24"
	# --no-compile: Python compiles only the modules it imports, on first import; compiling
	# every installed file took 12 of the install's 36 s on a fresh clone
	$(BIN)/python -m pip install -q --no-compile -c constraints.txt -e ".[dev,multilingual,sandbox]"
	# moviepy declares pillow<12 but works with the pinned Pillow 13 (parity test)
	$(BIN)/python -m pip install -q --no-deps -c constraints.txt moviepy
	# test footage of a real face: only the photographs in its wheel are used (never imported)
	$(BIN)/python -m pip install -q --no-deps -c constraints.txt scikit-image
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/clipcart demo

lint: $(STAMP)
	$(BIN)/ruff check pipeline flows sandbox bench tests
	$(BIN)/mypy

# three pytest workers (pytest-xdist) on two cores, a test file per worker at a time: much
# of the suite waits on servers, subprocesses and ffmpeg rather than computing. Files go
# out in collection order, which tests/conftest.py sorts longest first
test: lint
	$(BIN)/python -m pytest -q -ra -n 3 --dist loadfile --no-loadscope-reorder --durations=15 \
		-m "not bench"

# `clipcart bench --quick` and bench.batch run for real (about 90 CPU-seconds): their
# output contract, kept out of make test's 10 minutes; .ci/run runs it after make test
test-bench: $(STAMP)
	$(BIN)/python -m pytest -q -ra -m bench

unit: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

bench: $(STAMP)
	$(BIN)/clipcart bench

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
