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

# ---- the sample pipeline: each file is made by one mlprep step from the ones before ------------
# A pattern rule with several targets (the % matches one letter of the folder name) is how any
# GNU make expresses "one run makes all three splits".
splits_in = $(1)/train.parquet $(1)/valid.parquet $(1)/test.parquet
.SECONDARY:  # keep every intermediate demo file: each is a step's output worth inspecting

$(DEMO)/raw.parquet: sample_data/transactions.parquet $(STAMP)
	$(MLPREP) convert $< -o $@

$(DEMO)/profile.json: $(DEMO)/raw.parquet
	$(MLPREP) profile $< --json > $@.tmp && mv $@.tmp $@

# A 10% sample that keeps the fraud rate exactly (stratified by the label).
$(DEMO)/sample.parquet: $(DEMO)/raw.parquet
	$(MLPREP) sample stratified $< --by is_fraud --frac 0.1 -o $@

# Time split 70/15/15: train is earlier than valid, which is earlier than test.
$(call splits_in,$(DEMO)/split%): $(DEMO)/raw.parquet
	$(MLPREP) split $< --time-col event_time --ratios 0.7,0.15,0.15 --out-dir $(DEMO)/split$*

# Median imputation with missing-value indicators, fitted on train, applied to all three splits.
$(call splits_in,$(DEMO)/impute%): $(call splits_in,$(DEMO)/splits)
	$(MLPREP) impute $^ --out-dir $(DEMO)/impute$* --strategy median --indicator --cols 'amount,f*'

# Standard scaling of the imputed numeric features (not the __missing indicators).
$(call splits_in,$(DEMO)/scale%): $(call splits_in,$(DEMO)/imputed)
	$(MLPREP) scale $^ --out-dir $(DEMO)/scale$* --method standard --cols 'amount,f?'

# Hash merchant into 64 dense buckets (stateless), then one-hot category fitted on train.
$(call splits_in,$(DEMO)/hashe%): $(call splits_in,$(DEMO)/scaled)
	$(MLPREP) encode hash $^ --cols merchant --n-features 64 --form dense --report --out-dir $(DEMO)/hashe$*
$(call splits_in,$(DEMO)/encode%): $(call splits_in,$(DEMO)/hashed)
	$(MLPREP) encode onehot $^ --cols category --min-frequency 0.01 --out-dir $(DEMO)/encode$*

# Class balancing on the training split only (country is text, so SMOTE becomes SMOTENC).
$(DEMO)/balanced/train.parquet: $(DEMO)/encoded/train.parquet
	$(MLPREP) balance $< --target is_fraud --method smote --exclude user_id -o $@

# The serving path: every fitted step recorded in the test split's lineage, re-applied to raw rows.
$(DEMO)/served.parquet: $(DEMO)/raw.parquet $(DEMO)/encoded/test.parquet
	$(MLPREP) lineage replay $< --like $(DEMO)/encoded/test.parquet -o $@

# Point-in-time join: each transaction gets its user's latest feature snapshot taken before it.
$(DEMO)/joined.parquet: $(DEMO)/raw.parquet sample_data/user_features.parquet
	$(MLPREP) join asof $< sample_data/user_features.parquet --by user_id --time-col event_time \
		--feature-time-col snapshot_time --max-age 30d --prefix u_ -o $@

# Final gate: leakage between the splits (exit 1, failing make, on an error-level finding).
$(DEMO)/leakage.json: $(call splits_in,$(DEMO)/splits)
	$(MLPREP) check leakage $^ --time-col event_time --target is_fraud --group-col user_id
	$(MLPREP) check leakage $^ --time-col event_time --target is_fraud --group-col user_id --json > $@.tmp
	mv $@.tmp $@

DEMO_OUTPUTS := $(DEMO)/raw.parquet $(DEMO)/profile.json $(DEMO)/sample.parquet $(call splits_in,$(DEMO)/encoded) \
	$(DEMO)/balanced/train.parquet $(DEMO)/served.parquet $(DEMO)/joined.parquet $(DEMO)/leakage.json
DEMO_SHOW    := $(DEMO)/balanced/train.parquet

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

# 10M rows (SMOTE on 1M), under 15 minutes on 2 cores: writes BENCHMARKS.md and benchmarks/results.json.
# The inputs are read into the page cache once; per-variant warm-up runs would add nothing a separate
# process keeps (BENCH_ARGS="--warmup 1" restores them). BENCH_ARGS=--extras adds the supplementary
# operations (I/O floor, profile, hash index form) and the comparisons no target depends on (see
# benchmarks/ops.py); BENCH_ARGS="--update --extras --ops io,profile,encode_hash" merges just those
# into the existing report.
bench: $(BENCH_STAMP)
	$(BIN)/python benchmarks/run.py --rows 10000000 --smote-rows 1000000 --warmup 0 $(BENCH_ARGS)

# 1M rows (SMOTE on 100k), mlprep against the polars floor and start-up baselines only (pandas and
# DuckDB are in `make bench`): run before and after a performance-sensitive change.
bench-quick: $(BENCH_STAMP)
	$(BIN)/python benchmarks/run.py --rows 1000000 --smote-rows 100000 --kinds mlprep,polars,baseline --extras \
		--md benchmarks/results/quick.md --json benchmarks/results/quick.json $(BENCH_ARGS)

# Out-of-core proof: 50M rows under a cgroup memory cap of (in-memory size / 2.5); needs root.
bench-large: $(BENCH_STAMP)
	$(BIN)/python benchmarks/large.py --rows 50000000 $(BENCH_ARGS)

demo-clean:
	rm -rf $(DEMO)

clean: demo-clean
	rm -rf $(VENV) build *.egg-info
