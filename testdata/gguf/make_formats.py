#!/usr/bin/env python3
"""Writes formats.gguf, the golden file of the GGUF reader and block-format tests, with llama.cpp's
own gguf-py (the copy in node-llama-cpp 3.22.1's bundled llama.cpp, de3ff81; it needs numpy).

usage: LLAMA_SRC=<llama.cpp checkout> python3 make_formats.py formats.gguf

What it holds:
- metadata of every GGUF value type under iris.test.* (arrays of ints, floats, strings, bools, and
  an array of arrays), and general.alignment 64 (not the default 32);
- for each tensor type the reader decodes, a [3, 512] tensor deq.<TYPE> and deq.<TYPE>.expected,
  its values as gguf-py's dequantize gives them (F32). Q8_0/Q4_0/Q4_1 blocks come from quantizing
  random values; the K-quant blocks are random bytes (any bit pattern is a valid block) with finite
  F16 scales, so every code path of the unpacking is exercised;
- quantization goldens: q.input ([4, 256] F32 with the awkward cases: an all-zero block, a constant
  block, exact .5 ties after scaling, a negative extreme, tiny values) and q.Q8_0, q.Q4_0, gguf-py's
  quantization of it;
- shape.3d: F32 of numpy shape (2, 3, 4), stored as GGUF dims [4, 3, 2].
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.environ["LLAMA_SRC"], "gguf-py"))
import gguf  # noqa: E402
from gguf import GGMLQuantizationType as T  # noqa: E402
from gguf.quants import quantize, dequantize  # noqa: E402

rng = np.random.default_rng(20261203)
out = sys.argv[1]
w = gguf.GGUFWriter(out, "iris-test")
w.add_custom_alignment(64)
V = gguf.GGUFValueType
for key, value, vt in [("u8", 200, V.UINT8), ("i8", -100, V.INT8), ("u16", 60000, V.UINT16), ("i16", -30000, V.INT16),
                       ("u32", 4000000000, V.UINT32), ("i32", -2000000000, V.INT32), ("f32", 0.1, V.FLOAT32),
                       ("u64", 2**63 + 5, V.UINT64), ("i64", -2**40, V.INT64), ("f64", 0.1, V.FLOAT64),
                       ("bool", True, V.BOOL), ("string", "naïve 漢字", V.STRING)]:
    w.add_key_value("iris.test." + key, value, vt)
w.add_key_value("iris.test.ints", [1, -2, 3], V.ARRAY, V.INT32)
w.add_key_value("iris.test.floats", [0.5, -1.25], V.ARRAY, V.FLOAT32)
w.add_key_value("iris.test.strings", ["a", "", "ĠHello"], V.ARRAY, V.STRING)
w.add_key_value("iris.test.bools", [True, False], V.ARRAY, V.BOOL)
w.add_key_value("iris.test.nested", [[1, 2], [3]], V.ARRAY, V.ARRAY)


def f16_scales(n):
    return (rng.uniform(-1, 1, n) * 0.05).astype(np.float16).view(np.uint8).reshape(n, 2)


def k_blocks(qtype, rows, cols):
    block, size = gguf.GGML_QUANT_SIZES[qtype]
    n = rows * cols // block
    b = rng.integers(0, 256, (n, size), dtype=np.uint8)
    if qtype in (T.Q4_K, T.Q5_K):  # d, dmin first
        b[:, 0:2] = f16_scales(n)
        b[:, 2:4] = f16_scales(n)
    else:  # Q6_K: d last
        b[:, size - 2:size] = f16_scales(n)
    return b.reshape(rows, -1)


ROWS, COLS = 3, 512
values = (rng.standard_normal((ROWS, COLS)) * 0.1).astype(np.float32)
for qtype in (T.F32, T.F16, T.BF16, T.Q8_0, T.Q4_0, T.Q4_1, T.Q4_K, T.Q5_K, T.Q6_K):
    raw = k_blocks(qtype, ROWS, COLS) if qtype in (T.Q4_K, T.Q5_K, T.Q6_K) else quantize(values, qtype)
    expected = dequantize(raw, qtype).astype(np.float32).reshape(ROWS, COLS)
    if qtype in (T.F32, T.F16):
        w.add_tensor("deq." + qtype.name, raw)
    else:
        w.add_tensor("deq." + qtype.name, raw, raw_shape=raw.shape, raw_dtype=qtype)
    w.add_tensor("deq." + qtype.name + ".expected", expected)

q = (rng.standard_normal((4, 256)) * 0.1).astype(np.float32)
q[1, 0:32] = 0                                     # all-zero block: scale 0
q[1, 32:64] = 0.25                                 # constant block
q[1, 64:96] = np.linspace(-1, 1, 32)
q[2, 0:32] = np.arange(-16, 16) * (1 / 2.0)        # Q8_0: max 8, halves land on .5 ties
q[2, 32:64] = np.arange(32) - 31.0                 # negative extreme decides Q4_0's sign
q[3, 0:32] = rng.standard_normal(32) * 1e-6        # scales in F16's subnormal range
q[3, 32:64] = rng.standard_normal(32) * 300        # large values
w.add_tensor("q.input", q)
for qtype in (T.Q8_0, T.Q4_0):
    raw = quantize(q, qtype)
    w.add_tensor("q." + qtype.name, raw, raw_shape=raw.shape, raw_dtype=qtype)

w.add_tensor("shape.3d", np.arange(24, dtype=np.float32).reshape(2, 3, 4))
w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file(progress=False)
w.close()
