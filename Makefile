# junkan — two commands on a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
OUT ?= out
CORE_VENV ?= /tmp/junkan-core-venv

.PHONY: setup run reports test lint bench check-core conformance clean

# What each target installs into .venv (pip extras of pyproject.toml): `make run` the core plus
# [service,passport] (the Passports page writes and reads AAS files through BaSyx); `make test`,
# `lint` and `bench` [dev,bench] (dev includes [all]: every extra).
# Installs byte-compile. With PYTHONDONTWRITEBYTECODE set, as on this machine, `--no-compile`
# alone made every process (xdist workers, servers, budget workers) compile what it imports
# from source again: pytest took 1,531-1,540 s instead of 1,264-1,292 s (2026-12-02). So the
# test venv installs without pip's compile (one file after another) and compiles site-packages
# on every core after: 36 s + 27 s against ~90 s (2026-12-06; a file that does not compile,
# such as a package's Python 2 example, is skipped as pip skips it).
$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[service,passport]"
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --no-compile -e ".[dev,bench]"
	-$(BIN)/python -m compileall -q -j 0 \
	  "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" > /dev/null
	touch $@ $(VENV)/.installed-run

setup: $(VENV)/.installed-test

## Run the main job: compare both seed case studies (reports in out/), then start the
## platform on http://127.0.0.1:8000 with the demo store (var/demo.db), seeded with the demo
## users. The demo never touches var/junkan.db, the default store of a plain `junkan serve`.
run: reports
	$(BIN)/junkan serve --seed --database-url sqlite:///var/demo.db --host 127.0.0.1 --port 8000

## Each command has a folder of its own: a results folder is replaced whole, and a second
## `make run` refused the comparison's folder while it held the indicators' (2026-12-06).
reports: $(VENV)/.installed-run
	$(BIN)/junkan compare examples/compressor_magnet.yaml --out $(OUT)/compressor_magnet
	$(BIN)/junkan compare examples/atm_reuse.yaml --out $(OUT)/atm_reuse
	$(BIN)/junkan indicators examples/compressor_magnet.yaml --format html --out $(OUT)/indicators/compressor_magnet
	$(BIN)/junkan indicators examples/atm_reuse.yaml --format html --out $(OUT)/indicators/atm_reuse
	@echo "Reports: $(OUT)/compressor_magnet/report.html $(OUT)/atm_reuse/report.html, indicators in $(OUT)/indicators/"

## Run every test plus the hygiene checks.
## mypy runs beside pytest (one process, 77 s of CPU from a fresh cache), at the lowest
## priority: it takes the cores only when the suite leaves them idle (11 % of the time in the
## browser suites, 2026-12-05), instead of slowing the suite by its whole time. Its report is
## printed after pytest's, and either failing fails.
## The package is installed editable and PYTHONDONTWRITEBYTECODE may be set (it is on this machine), so
## every process the tests start (servers, workers, CLI runs) would compile src/ from source:
## compileall writes the byte code once first (Python re-checks each file's mtime on import).
test: $(VENV)/.installed-test
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m compileall -q src
	@nice -n 19 $(BIN)/mypy > $(VENV)/mypy.log 2>&1 & mypy=$$!; \
	rc=0; $(BIN)/pytest || rc=$$?; \
	wait $$mypy && echo "mypy: $$(tail -1 $(VENV)/mypy.log)" || { cat $(VENV)/mypy.log; rc=1; }; \
	exit $$rc

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

## Benchmarks (not tests): results are written to benchmarks/results/.
bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/run_all.py

## PACT v3 conformance: WBCSD's 41 v3 test cases (pact-conformance-service 839bfe8,
## src/test-cases/v3-test-cases.ts), ported to tests/trace/test_pact_conformance.py, against
## a real `junkan trace pact-serve` with a loopback tester for the callbacks; prints each case
## and "N passed, M failed". WBCSD's tool itself is on no package registry (docs/trace.md).
conformance: $(VENV)/.installed-test
	$(BIN)/python benchmarks/pact_conformance.py check

## A core-only install (no extras) in a scratch venv: the file-based commands work and a command
## that needs an extra names it. Run by .ci/run beside `make test`; it builds from a copy of the
## sources, so the two setuptools builds never share src/junkan.egg-info or build/.
check-core:
	rm -rf $(CORE_VENV)
	$(PY) -m venv $(CORE_VENV)
	$(CORE_VENV)/bin/python -m pip install -q --upgrade pip
	mkdir -p $(CORE_VENV)/tree
	tar -c --exclude='*.egg-info' --exclude=__pycache__ pyproject.toml README.md LICENSE src \
	  | tar -x -C $(CORE_VENV)/tree
	$(CORE_VENV)/bin/python -m pip install -q $(CORE_VENV)/tree
	$(CORE_VENV)/bin/python -c "import junkan.lifecycle, junkan.indicators, junkan.network, junkan.foresight, junkan.alloys, junkan.trace"
	$(CORE_VENV)/bin/junkan validate examples/atm_reuse.yaml
	$(CORE_VENV)/bin/junkan compare examples/atm_reuse.yaml --out $(CORE_VENV)/out > /dev/null
	! timeout 60 $(CORE_VENV)/bin/junkan serve 2> $(CORE_VENV)/serve.err
	grep -F "pip install 'junkan[service]'" $(CORE_VENV)/serve.err
	@du -sm $(CORE_VENV)/lib/python3*/site-packages | awk '{print "core install: " $$1 " MB of site-packages"}'

clean:
	rm -rf $(VENV) $(OUT) var .pytest_cache .mypy_cache .ruff_cache
