"""mlprep: leakage-safe, reproducible, fast preparation of machine-learning datasets.

Every command is also a Python function on polars frames (see :mod:`mlprep.steps`); this
package imports nothing heavy until one of them is used, so ``mlprep --help`` stays instant.

>>> import mlprep
>>> mlprep.profile  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: Public functions, loaded on first use: name → module.
_LAZY = {
    "balance": "mlprep.steps.balance",
    "convert": "mlprep.steps.convert",
    "drift": "mlprep.steps.drift",
    "profile": "mlprep.steps.profile",
    "join_asof": "mlprep.steps.join",
    "AsofTable": "mlprep.steps.join",
    "check_leakage": "mlprep.steps.leakage",
    "impute": "mlprep.steps.impute",
    "fit_impute": "mlprep.steps.impute",
    "apply_impute": "mlprep.steps.impute",
    "scale": "mlprep.steps.scale",
    "fit_scale": "mlprep.steps.scale",
    "apply_scale": "mlprep.steps.scale",
    "fit_impute_and_scale": "mlprep.steps.scale",
    "bin": "mlprep.steps.binning",
    "fit_bin": "mlprep.steps.binning",
    "apply_bin": "mlprep.steps.binning",
    "replay": "mlprep.lineage.replay",
    "split": "mlprep.steps.split",
    "time_split": "mlprep.steps.split",
    "time_folds": "mlprep.steps.split",
    "random_split": "mlprep.steps.split",
    "encode_hash": "mlprep.steps.encode_hash",
    "hash_report": "mlprep.steps.encode_hash",
    "fit_onehot": "mlprep.steps.encode",
    "apply_onehot": "mlprep.steps.encode",
    "fit_ordinal": "mlprep.steps.encode",
    "apply_ordinal": "mlprep.steps.encode",
    "fit_counts": "mlprep.steps.encode",
    "apply_counts": "mlprep.steps.encode",
    "fit_target": "mlprep.steps.encode_target",
    "apply_target": "mlprep.steps.encode_target",
    "cross_fit_target": "mlprep.steps.encode_target",
    "sample_random": "mlprep.steps.sample",
    "sample_stratified": "mlprep.steps.sample",
    "sample_weighted": "mlprep.steps.sample",
    "sample_reservoir": "mlprep.steps.sample",
    "sample_bernoulli": "mlprep.steps.sample",
    "sample_systematic": "mlprep.steps.sample",
    "sample_cluster": "mlprep.steps.sample",
    "sample_importance": "mlprep.steps.sample",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'mlprep' has no attribute {name!r}")
