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
