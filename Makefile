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

$(DEMO)/sample.parquet: $(DEMO)/raw.parquet
	$(MLPREP) sample stratified $< --by is_fraud --frac 0.1 -o $@

DEMO_OUTPUTS := $(DEMO)/raw.parquet $(DEMO)/profile.json
DEMO_OUTPUTS += $(DEMO)/sample.parquet
DEMO_SHOW    := $(DEMO)/raw.parquet

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
