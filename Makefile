# mlprep: two commands do all set-up on a fresh clone.
#   make demo   create .venv, install mlprep, run the sample pipeline end to end
#   make test   create .venv if needed, run every test
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
MLPREP := $(BIN)/mlprep
DEMO   := demo_out

.PHONY: install test demo demo-clean bench bench-quick bench-large clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider

# ---- the sample pipeline: each file is made by one mlprep step from the one before ----------
$(DEMO)/raw.parquet: sample_data/transactions.parquet $(STAMP)
	$(MLPREP) convert $< -o $@

$(DEMO)/profile.json: $(DEMO)/raw.parquet
	$(MLPREP) profile $< --json > $@

DEMO_OUTPUTS := $(DEMO)/raw.parquet $(DEMO)/profile.json
DEMO_SHOW    := $(DEMO)/raw.parquet

demo: $(DEMO_OUTPUTS)
	@echo
	@echo "Outputs and their lineage manifests (*.lineage.json) are in $(DEMO)/:"
	@find $(DEMO) -type f -not -name '.*' | sort | sed 's/^/  /'
	@echo
	$(MLPREP) lineage show $(DEMO_SHOW)
	$(MLPREP) lineage verify $(DEMO_SHOW)

# ---- benchmarks: mlprep vs hand-written polars, pandas + scikit-learn, DuckDB (benchmarks/) -----
# pandas, duckdb and pyarrow are benchmark-only dependencies: installed here, not by the package.
# Extra runner options: make bench-quick BENCH_ARGS="--ops split,sample_reservoir"
BENCH_DEPS  := 'pandas>=2.2' 'duckdb>=1.1' 'pyarrow>=15'
BENCH_STAMP := $(VENV)/.bench-deps
BENCH_ARGS  ?=

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet $(BENCH_DEPS)
	touch $@

# 10M rows (SMOTE on 1M): writes BENCHMARKS.md and benchmarks/results.json. pandas and DuckDB skip the
# warm-up run (their input is already in the page cache from the mlprep and polars warm-ups);
# BENCH_ARGS=--extras adds the comparisons no target depends on (see benchmarks/ops.py).
bench: $(BENCH_STAMP)
	$(BIN)/python benchmarks/run.py --rows 10000000 --smote-rows 1000000 --no-warmup-kinds pandas,duckdb $(BENCH_ARGS)

# 1M rows (SMOTE on 100k), mlprep against the polars floor and start-up baselines only (pandas and
# DuckDB are in `make bench`): run before and after a performance-sensitive change.
bench-quick: $(BENCH_STAMP)
	$(BIN)/python benchmarks/run.py --rows 1000000 --smote-rows 100000 --kinds mlprep,polars,baseline \
		--md benchmarks/results/quick.md --json benchmarks/results/quick.json $(BENCH_ARGS)

# Out-of-core proof: 50M rows under a cgroup memory cap of (in-memory size / 2.5); needs root.
bench-large: $(BENCH_STAMP)
	$(BIN)/python benchmarks/large.py --rows 50000000 $(BENCH_ARGS)

demo-clean:
	rm -rf $(DEMO)

clean: demo-clean
	rm -rf $(VENV) build *.egg-info
