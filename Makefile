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

# Point-in-time join: each transaction gets its user's latest feature snapshot taken before it.
$(DEMO)/joined.parquet: $(DEMO)/raw.parquet sample_data/user_features.parquet
	$(MLPREP) join asof $< sample_data/user_features.parquet --by user_id --time-col event_time \
		--feature-time-col snapshot_time --max-age 30d --prefix u_ -o $@

# Final gate: leakage between the splits (exit 1, failing make, on an error-level finding).
$(DEMO)/leakage.json: $(DEMO)/splits/train.parquet $(DEMO)/splits/valid.parquet $(DEMO)/splits/test.parquet
	$(MLPREP) check leakage $^ --time-col event_time --target is_fraud --group-col user_id
	$(MLPREP) check leakage $^ --time-col event_time --target is_fraud --group-col user_id --json > $@.tmp
	mv $@.tmp $@

DEMO_OUTPUTS := $(DEMO)/raw.parquet $(DEMO)/profile.json
DEMO_OUTPUTS += $(DEMO)/joined.parquet $(DEMO)/leakage.json

# Median imputation (with missing-value indicators) fitted on train, applied to all three splits.
IMPUTED := $(DEMO)/imputed/train.parquet $(DEMO)/imputed/valid.parquet $(DEMO)/imputed/test.parquet
$(DEMO)/imputed/train.parquet: $(DEMO)/splits/train.parquet $(DEMO)/splits/valid.parquet $(DEMO)/splits/test.parquet
	$(MLPREP) impute $^ --out-dir $(DEMO)/imputed --strategy median --indicator --cols 'amount,f*'
$(DEMO)/imputed/valid.parquet $(DEMO)/imputed/test.parquet: $(DEMO)/imputed/train.parquet

# Standard scaling of the imputed numeric features (not the __missing indicators).
SCALED := $(DEMO)/scaled/train.parquet $(DEMO)/scaled/valid.parquet $(DEMO)/scaled/test.parquet
$(DEMO)/scaled/train.parquet: $(IMPUTED)
	$(MLPREP) scale $^ --out-dir $(DEMO)/scaled --method standard --cols 'amount,f?'
$(DEMO)/scaled/valid.parquet $(DEMO)/scaled/test.parquet: $(DEMO)/scaled/train.parquet

# The serving path: the fitted impute + scale re-applied to raw rows from the recorded state.
$(DEMO)/served.parquet: $(DEMO)/raw.parquet $(DEMO)/scaled/test.parquet
	$(MLPREP) lineage replay $< --like $(DEMO)/scaled/test.parquet -o $@

DEMO_OUTPUTS += $(IMPUTED) $(SCALED) $(DEMO)/served.parquet
DEMO_SHOW    := $(DEMO)/raw.parquet

# Time split 70/15/15. One run makes all three files: a pattern rule with several targets
# (here % matches the "s" of "splits") is how any GNU make version expresses that.
$(DEMO)/split%/train.parquet $(DEMO)/split%/valid.parquet $(DEMO)/split%/test.parquet: $(DEMO)/raw.parquet
	$(MLPREP) split $< --time-col event_time --ratios 0.7,0.15,0.15 --out-dir $(DEMO)/split$*

DEMO_OUTPUTS := $(DEMO)/raw.parquet $(DEMO)/profile.json
DEMO_OUTPUTS += $(DEMO)/splits/train.parquet $(DEMO)/splits/valid.parquet $(DEMO)/splits/test.parquet
DEMO_SHOW    := $(DEMO)/splits/train.parquet

demo: $(DEMO_OUTPUTS)
	@echo
	@echo "Outputs and their lineage manifests (*.lineage.json) are in $(DEMO)/:"
	@find $(DEMO) -type f -not -name '.*' | sort | sed 's/^/  /'
	@echo
	$(MLPREP) lineage show $(DEMO_SHOW)
	$(MLPREP) lineage verify $(DEMO_SHOW)

demo-clean:
	rm -rf $(DEMO)

clean: demo-clean
	rm -rf $(VENV) build *.egg-info
