"""Keyed random numbers: a row's draw depends only on (seed, its key), never on batch order.

Scheme ``splitmix64-v1``: the key (a row position, or a ``--key-col`` value hashed to 64 bits
with xxHash64, seed 0) is mixed with the seed by the SplitMix64 finaliser, computed with
wrapping UInt64 arithmetic in polars expressions. The result is the same whatever the thread
count, batch size or partitioning, and on any platform; a sample or split records the scheme
name in its manifest so a later release can re-draw it identically.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

KEYED_SCHEME = "splitmix64-v1"
_GOLDEN = 0x9E3779B97F4A7C15
_MIX1 = 0xBF58476D1CE4E5B9
_MIX2 = 0x94D049BB133111EB
_MASK = (1 << 64) - 1


def _u64(value: int) -> "pl.Expr":
    import polars as pl

    return pl.lit(value & _MASK, dtype=pl.UInt64)


def splitmix64(x: "pl.Expr") -> "pl.Expr":
    """The SplitMix64 finaliser on a UInt64 expression (wrapping arithmetic)."""
    z = x + _u64(_GOLDEN)
    z = (z ^ _shr(z, 30)) * _u64(_MIX1)
    z = (z ^ _shr(z, 27)) * _u64(_MIX2)
    return z ^ _shr(z, 31)


def _shr(x: "pl.Expr", bits: int) -> "pl.Expr":
    """Logical right shift of a UInt64 (polars has no shift operator: divide by 2**bits)."""
    return x // _u64(1 << bits)


def key_to_u64(key: "pl.Expr", dtype: "pl.DataType") -> "pl.Expr":
    """Map a key column to UInt64 stably: integers by value, anything else by xxHash64 of its text."""
    import polars as pl
    import polars_hash  # noqa: F401  (registers the .nchash namespace)

    if dtype.is_integer():
        return key.cast(pl.Int64).reinterpret(signed=False)
    return key.cast(pl.String).nchash.xxhash64(seed=0)  # type: ignore[attr-defined]


def keyed_u64(seed: int, key: "pl.Expr") -> "pl.Expr":
    """A 64-bit pseudo-random UInt64 per row from (seed, key); ``key`` must be UInt64."""
    return splitmix64(splitmix64(key) ^ _u64(seed * _GOLDEN))


def keyed_uniform(seed: int, key: "pl.Expr") -> "pl.Expr":
    """A uniform Float64 in [0, 1) per row from (seed, UInt64 key), 53 bits of precision."""
    import polars as pl

    return _shr(keyed_u64(seed, key), 11).cast(pl.Float64) * (2.0**-53)


def row_position(name: str = "__mlprep_pos") -> "pl.Expr":
    """The row's position in the input as UInt64 (use on a frame from ``with_row_index``)."""
    import polars as pl

    return pl.col(name).cast(pl.UInt64)


def _splitmix64_np(z: "np.ndarray") -> "np.ndarray":
    """The SplitMix64 finaliser on a uint64 array, in place (wrapping arithmetic)."""
    import numpy as np

    z += np.uint64(_GOLDEN)
    z ^= z >> np.uint64(30)
    z *= np.uint64(_MIX1)
    z ^= z >> np.uint64(27)
    z *= np.uint64(_MIX2)
    z ^= z >> np.uint64(31)
    return z


def keyed_u64_numpy(seed: int, keys: "np.ndarray") -> "np.ndarray":
    """:func:`keyed_u64` in numpy: the same 64-bit values for the same (seed, UInt64 key), bit for bit."""
    import numpy as np

    z = _splitmix64_np(np.array(keys, dtype=np.uint64, copy=True))
    z ^= np.uint64((seed * _GOLDEN) & _MASK)
    return _splitmix64_np(z)


def keyed_u64_positions(seed: int, start: int, stop: int) -> "np.ndarray":
    """:func:`keyed_u64` of the row positions ``start..stop-1`` (numpy uint64; needs no data)."""
    import numpy as np

    z = _splitmix64_np(np.arange(start, stop, dtype=np.uint64))
    z ^= np.uint64((seed * _GOLDEN) & _MASK)
    return _splitmix64_np(z)


def keyed_uniform_numpy(u64: "np.ndarray") -> "np.ndarray":
    """:func:`keyed_uniform` from :func:`keyed_u64` values: ``(u >> 11) · 2^-53`` as float64 in [0, 1)."""
    import numpy as np

    u = (u64 >> np.uint64(11)).astype(np.float64)
    u *= 2.0**-53
    return u


def bottom_k_positions(seed: int, rows: int, k: int, *, chunk: int = 1 << 16, margin: float = 8.0) -> "np.ndarray":
    """The ``k`` positions in ``0..rows-1`` with the smallest :func:`keyed_u64` keys, sorted by position.

    No data is read: keys are computed with numpy in cache-sized chunks and only those under a
    threshold a little above the expected k-th smallest key (``k + margin·sqrt(k) + 16`` of
    ``rows`` uniform keys) are kept, so memory is O(k + chunk). Should fewer than ``k`` fall
    under it (probability below 1e-12 with the default margin), a running bottom-k over every
    key is used instead. Position keys are distinct (SplitMix64 is a bijection), so the result
    equals a bottom-k over the polars expression exactly.
    """
    import math

    import numpy as np

    if k <= 0:
        return np.empty(0, dtype=np.int64)
    if k >= rows:
        return np.arange(rows, dtype=np.int64)
    expected = (k + margin * math.sqrt(k) + 16) / rows
    limit = np.uint64(_MASK if expected >= 1 else max(0, min(_MASK, int(expected * 2.0**64))))
    keys_parts, pos_parts = [], []
    for start in range(0, rows, chunk):
        keys = keyed_u64_positions(seed, start, min(rows, start + chunk))
        hit = np.flatnonzero(keys <= limit)
        keys_parts.append(keys[hit])
        pos_parts.append(hit.astype(np.int64) + start)
    keys, pos = np.concatenate(keys_parts), np.concatenate(pos_parts)
    if keys.size < k:  # the threshold was too low: exact running bottom-k over all keys
        return _bottom_k_positions_running(seed, rows, k, chunk=max(chunk, 1 << 20))
    if keys.size > k:
        pos = pos[np.argpartition(keys, k - 1)[:k]]
    return np.sort(pos)


def _bottom_k_positions_running(seed: int, rows: int, k: int, *, chunk: int) -> "np.ndarray":
    """:func:`bottom_k_positions` without a threshold: the running k smallest over every chunk."""
    import numpy as np

    best_keys = np.empty(0, dtype=np.uint64)
    best_pos = np.empty(0, dtype=np.int64)
    for start in range(0, rows, chunk):
        stop = min(rows, start + chunk)
        keys = keyed_u64_positions(seed, start, stop)
        if best_keys.size == k:  # full: only keys below the current k-th smallest can enter
            idx = np.flatnonzero(keys < best_keys.max())
            keys = keys[idx]
            pos = idx.astype(np.int64) + start
        else:
            pos = np.arange(start, stop, dtype=np.int64)
        best_keys = np.concatenate([best_keys, keys])
        best_pos = np.concatenate([best_pos, pos])
        if best_keys.size > k:
            keep = np.argpartition(best_keys, k - 1)[:k]
            best_keys, best_pos = best_keys[keep], best_pos[keep]
    return np.sort(best_pos)
