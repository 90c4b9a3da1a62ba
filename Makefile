# junkan — two commands on a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
OUT ?= out

.PHONY: setup run reports test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev,bench]"
	touch $(STAMP)

setup: $(STAMP)

## Run the main job: compare both seed case studies (reports in out/), then start the
## platform on http://127.0.0.1:8000 with the demo store (var/demo.db), seeded with the demo
## users. The demo never touches var/junkan.db, the default store of a plain `junkan serve`.
run: reports
	$(BIN)/junkan serve --seed --database-url sqlite:///var/demo.db --host 127.0.0.1 --port 8000

reports: $(STAMP)
	$(BIN)/junkan compare examples/compressor_magnet.yaml --out $(OUT)/compressor_magnet
	$(BIN)/junkan compare examples/atm_reuse.yaml --out $(OUT)/atm_reuse
	$(BIN)/junkan indicators examples/compressor_magnet.yaml --format html --out $(OUT)/compressor_magnet/indicators
	$(BIN)/junkan indicators examples/atm_reuse.yaml --format html --out $(OUT)/atm_reuse/indicators
	@echo "Reports: $(OUT)/compressor_magnet/report.html $(OUT)/atm_reuse/report.html (+ indicators/)"

## Run every test plus the hygiene checks.
test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

## Benchmarks (not tests): results are written to benchmarks/results/.
bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) $(OUT) var .pytest_cache .mypy_cache .ruff_cache
