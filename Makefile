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

# encode: hash merchant into 64 dense buckets (stateless), then one-hot category fitted on train
$(DEMO)/hashed/train.parquet: $(DEMO)/scaled/train.parquet $(DEMO)/scaled/valid.parquet $(DEMO)/scaled/test.parquet
	$(MLPREP) encode hash $^ --cols merchant --n-features 64 --form dense --report --out-dir $(DEMO)/hashed
$(DEMO)/hashed/valid.parquet $(DEMO)/hashed/test.parquet: $(DEMO)/hashed/train.parquet
	@test -f $@

$(DEMO)/encoded/train.parquet: $(DEMO)/hashed/train.parquet $(DEMO)/hashed/valid.parquet $(DEMO)/hashed/test.parquet
	$(MLPREP) encode onehot $^ --cols category --min-frequency 0.01 --out-dir $(DEMO)/encoded
$(DEMO)/encoded/valid.parquet $(DEMO)/encoded/test.parquet: $(DEMO)/encoded/train.parquet
	@test -f $@

DEMO_OUTPUTS += $(DEMO)/encoded/train.parquet $(DEMO)/encoded/valid.parquet $(DEMO)/encoded/test.parquet

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
