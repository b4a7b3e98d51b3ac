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
    "convert": "mlprep.steps.convert",
    "profile": "mlprep.steps.profile",
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
