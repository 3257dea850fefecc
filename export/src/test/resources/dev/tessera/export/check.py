"""Checks an exported library "tlib" from Python: every kernel on NumPy arrays (and PyTorch tensors
when torch imports) against reference outputs the Java test wrote, plus error handling.
Usage: check.py EXPORT_DIR CASES_JSON; prints one line per check and "ALL OK" at the end."""
import json
import sys

import numpy as np

sys.path.insert(0, sys.argv[1])
import tlib  # noqa: E402

cases = json.load(open(sys.argv[2]))
try:
    import torch
except ImportError:
    torch = None
print("torch", "yes" if torch is not None else "no")
print("isa", tlib.isa())


def load(f, shape):
    return np.fromfile(f, dtype="<f4").reshape(shape)


def close(got, want, what):
    got = np.asarray(got, dtype=np.float64)
    err = np.max(np.abs(got - want) - 1e-3 * np.abs(want)) if want.size else 0
    assert err <= 1e-4, "%s: max error %g" % (what, err)


for c in cases:
    fn = getattr(tlib, c["kernel"])
    ins = [load(i["file"], i["shape"]) for i in c["inputs"]]
    refs = [load(o["file"], o["shape"]) for o in c["outputs"]]
    res = fn(*ins)
    res = res if isinstance(res, tuple) else (res,)
    for r, w in zip(res, refs):
        assert isinstance(r, np.ndarray) and r.shape == w.shape, (type(r), getattr(r, "shape", None), w.shape)
        close(r, w, c["kernel"] + " numpy")
    # the same through inputs only 4-byte aligned (passed without a copy) and a given output
    mis = []
    for x in ins:
        raw = np.empty(x.size + 1, dtype=np.float32)
        v = raw[1:].reshape(x.shape)
        v[...] = x
        mis.append(v)
    outs = {}
    names = fn.__code__.co_varnames[fn.__code__.co_argcount:fn.__code__.co_argcount + fn.__code__.co_kwonlyargcount]
    for n, w in zip(names, refs):
        outs[n] = np.zeros(w.shape, dtype=np.float32)
    res2 = fn(*mis, **outs)
    res2 = res2 if isinstance(res2, tuple) else (res2,)
    for r, w, n in zip(res2, refs, names):
        assert r is outs[n]
        close(r, w, c["kernel"] + " 4-byte aligned/out=")
    if torch is not None:
        tres = fn(*[torch.from_numpy(x) for x in ins])
        tres = tres if isinstance(tres, tuple) else (tres,)
        for r, w in zip(tres, refs):
            assert isinstance(r, torch.Tensor), type(r)
            close(r.numpy(), w, c["kernel"] + " torch")
    print("ok", c["kernel"])

# matmul and softmax against NumPy (and torch) themselves
rng = np.random.default_rng(0)
A = rng.standard_normal((16, 8), dtype=np.float32)
B = rng.standard_normal((8, 12), dtype=np.float32)
close(tlib.matmul(A, B), A.astype(np.float64) @ B, "matmul vs numpy")
for rows in (1, 5, 33):
    X = rng.standard_normal((rows, 24), dtype=np.float32)
    e = np.exp(X - X.max(axis=1, keepdims=True))
    close(tlib.softmax(X), e / e.sum(axis=1, keepdims=True), "softmax N=%d vs numpy" % rows)
    if torch is not None:
        close(tlib.softmax(torch.from_numpy(X)).numpy(), torch.softmax(torch.from_numpy(X), dim=1).numpy(), "softmax vs torch")
if torch is not None:
    close(tlib.matmul(torch.from_numpy(A), torch.from_numpy(B)).numpy(), (torch.from_numpy(A) @ torch.from_numpy(B)).numpy(), "matmul vs torch")
print("ok numpy/torch references")


def expect(exc, text, f, *a, **k):
    try:
        f(*a, **k)
    except exc as e:
        assert text in str(e), "message %r lacks %r" % (str(e), text)
        print("raised", exc.__name__ + ":", e)
        return
    raise AssertionError("no %s for %s" % (exc.__name__, text))


expect(ValueError, "argument A must have shape (16, 8), got (8, 16)", tlib.matmul, A.T.copy(), B)
expect(ValueError, "not C-contiguous", tlib.matmul, np.asfortranarray(A), B)
expect(TypeError, "must have dtype float32, got float64", tlib.matmul, A.astype(np.float64), B)
expect(TypeError, "must be a numpy.ndarray or torch.Tensor, got list", tlib.matmul, [[1.0]], B)
expect(TypeError, "missing 1 required positional argument", tlib.matmul, A)
expect(ValueError, "softmax: argument", tlib.softmax, np.zeros((3, 7), dtype=np.float32))
out = np.zeros((16, 12), dtype=np.float32)
ro = out.copy()
ro.flags.writeable = False
kw = tlib.matmul.__code__.co_varnames[2]
expect(ValueError, "read-only", tlib.matmul, A, B, **{kw: ro})
expect(ValueError, "must have shape (16, 12)", tlib.matmul, A, B, **{kw: np.zeros((12, 16), np.float32)})
if torch is not None:
    expect(ValueError, "not contiguous", tlib.matmul, torch.from_numpy(A).t().t().as_strided((16, 8), (1, 16)), torch.from_numpy(B))
    expect(TypeError, "must have dtype torch.float32", tlib.matmul, torch.from_numpy(A).double(), torch.from_numpy(B))
print("ALL OK")
