#!/usr/bin/python3
"""The peers' side of `bench/compare`: OpenBLAS (through NumPy), PyTorch and Halide on Tessera's workloads.

Run with Debian's /usr/bin/python3 (the python3-numpy, python3-torch and python3-halide packages).

Two modes:
  serve   The harness (dev.tessera.bench.Compare) starts this once and sends one JSON request a line
          on stdin: {"workload": {...}, "peer": "pytorch", "warmup": 3, "repeats": 15,
          "min_batch_ms": 20}. Each answer is one JSON line on stdout; everything else goes to stderr.
  run     Standalone: time the workloads of a workload table (bench/src/main/resources/dev/tessera/
          bench/workloads.json) and print one JSON line per figure, e.g.
          /usr/bin/python3 bench/peers/peers.py run --only gemm-1024 --repeats 3

The timing protocol is the Java side's (dev.tessera.bench.Timing): `warmup` untimed calls; the last
one sets a batch size so that a timed repetition lasts at least `min_batch_ms`; `repeats` timed
repetitions of that batch; each repetition gives a time per call. Median, quartiles, min and max.

Shapes are Tessera's shape arguments for the operator named in the workload table (see `kind`).
Every output is checked against a float64 NumPy computation written independently of the peer's
code (sampled for gemm) and the largest absolute error is reported.
"""
import argparse
import json
import math
import os
import sys
import time


def _threads_from_argv(argv):
    for i, a in enumerate(argv):
        if a == "--threads" and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith("--threads="):
            return a.split("=", 1)[1]
    return os.environ.get("TESSERA_BENCH_THREADS", "2")


# Thread counts must be in the environment before NumPy/OpenBLAS, PyTorch (OpenMP) or Halide load.
THREADS = int(_threads_from_argv(sys.argv))
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "HL_NUM_THREADS"):
    os.environ[_var] = str(THREADS)

import numpy as np  # noqa: E402

try:
    import torch  # noqa: E402
    import torch.nn.functional as F  # noqa: E402

    torch.set_num_threads(THREADS)
    torch.set_grad_enabled(False)
    TORCH_ERROR = None
except Exception as e:  # a missing peer is reported per figure, not fatal
    torch = None
    TORCH_ERROR = repr(e)

try:
    import halide as hl  # noqa: E402

    HALIDE_ERROR = None
except Exception as e:
    hl = None
    HALIDE_ERROR = repr(e)


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- timing protocol (shared with gpu_peers.py)

from protocol import json_number, max_err, measure, quantile  # noqa: E402,F401


# ---------------------------------------------------------------- inputs and references

def rand(rng, *shape):
    """Uniform in [-1, 1), float32, like Tessera's TensorValue.random."""
    return rng.uniform(-1.0, 1.0, size=shape).astype(np.float32)


def gemm_sampled_error(a, b, c, points=256, seed=7):
    rng = np.random.default_rng(seed)
    m, n = c.shape
    i = rng.integers(0, m, points)
    j = rng.integers(0, n, points)
    want = np.einsum("pk,kp->p", a[i, :].astype(np.float64), b[:, j].astype(np.float64))
    return max_err(c[i, j], want)


def conv2d_reference(x, w, stride, pad):
    """NCHW direct convolution in float64 by shifted slices (independent of PyTorch)."""
    x = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    w = w.astype(np.float64)
    n, c, h, wd = x.shape
    f, _, kh, kw = w.shape
    oh, ow = (h - kh) // stride + 1, (wd - kw) // stride + 1
    out = np.zeros((n, f, oh, ow))
    for ry in range(kh):
        for rx in range(kw):
            patch = x[:, :, ry:ry + stride * (oh - 1) + 1:stride, rx:rx + stride * (ow - 1) + 1:stride]
            out += np.einsum("nchw,fc->nfhw", patch, w[:, :, ry, rx])
    return out


def softmax_reference(x):
    x = x.astype(np.float64)
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def layernorm_reference(x, gamma, beta, eps):
    x = x.astype(np.float64)
    mu = x.mean(axis=1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * gamma + beta


def caps_route_reference(u, w, iters):
    """BENCHMARKS.md's routing, float64, written with NumPy (independent of the PyTorch peer)."""
    u = u.astype(np.float64)
    w = w.astype(np.float64)
    u_hat = np.einsum("ijdk,bik->bijd", w, u)
    b, i, j, _ = u_hat.shape
    logits = np.zeros((b, i, j))
    v = None
    for it in range(iters):
        c = np.exp(logits - logits.max(axis=2, keepdims=True))
        c /= c.sum(axis=2, keepdims=True)
        s = np.einsum("bij,bijd->bjd", c, u_hat)
        sq = (s * s).sum(axis=2, keepdims=True)
        v = sq / (1.0 + sq) * s / np.sqrt(sq)
        if it + 1 < iters:
            logits = logits + np.einsum("bijd,bjd->bij", u_hat, v)
    return v


def caps_conv_reference(x, w, stride, pad):
    """Capsule conv2d, float64, by shifted slices: out[n,y,x,p,q,o] = sum x[n,ys+ry,xs+rx,p,k,c] w[ry,rx,k,q,c,o]."""
    x = np.pad(x.astype(np.float64), ((0, 0), (pad, pad), (pad, pad), (0, 0), (0, 0), (0, 0)))
    w = w.astype(np.float64)
    n, h, wd = x.shape[:3]
    k = w.shape[0]
    oh, ow = (h - k) // stride + 1, (wd - k) // stride + 1
    out = np.zeros((n, oh, ow, 4, 4, w.shape[-1]))
    for ry in range(k):
        for rx in range(k):
            patch = x[:, ry:ry + stride * (oh - 1) + 1:stride, rx:rx + stride * (ow - 1) + 1:stride]
            out += np.einsum("nyxpkc,kqco->nyxpqo", patch, w[ry, rx])
    return out


# ---------------------------------------------------------------- the peers

def halide_gemm(m, n, k):
    """
    Halide 14 JIT, C = A.B on row-major float32 arrays.

    Schedule: Halide's own test/performance/matrix_multiplication.cpp (halide/Halide): `out` tiled
    3*vec x 32 (24 x 32 there, vec = 8), tiles fused and parallel, rows split by 4 and unrolled,
    the columns vectorized and unrolled; `matrix_mul` computed at out's yi, its update reordered
    (x, y, k), vectorized, unrolled, k unrolled by 2. Here vec is the target's natural float vector
    width (16 with AVX-512) instead of the file's fixed 8, so Halide gets the whole register.
    """
    vec = hl.get_jit_target_from_environment().natural_vector_size(hl.Float(32))
    A = hl.ImageParam(hl.Float(32), 2, "A")  # A(k, y): dimension 0 is the contiguous one
    B = hl.ImageParam(hl.Float(32), 2, "B")  # B(x, k)
    x, y, xi, yi, yii, xy = hl.Var("x"), hl.Var("y"), hl.Var("xi"), hl.Var("yi"), hl.Var("yii"), hl.Var("xy")
    r = hl.RDom([(0, k)])
    matrix_mul = hl.Func("matrix_mul")
    matrix_mul[x, y] = 0.0
    matrix_mul[x, y] += A[r.x, y] * B[x, r.x]
    out = hl.Func("out")
    out[x, y] = matrix_mul[x, y]

    out.tile(x, y, xi, yi, 3 * vec, 32).fuse(x, y, xy).parallel(xy) \
        .split(yi, yi, yii, 4).vectorize(xi, vec).unroll(xi).unroll(yii)
    matrix_mul.compute_at(out, yi).vectorize(x, vec).unroll(y)
    matrix_mul.update(0).reorder(x, y, r.x).vectorize(x, vec).unroll(x).unroll(y).unroll(r.x, 2)
    out.bound(x, 0, n).bound(y, 0, m)
    out.compile_jit()
    return A, B, out, vec


class PeerUnavailable(Exception):
    """The peer cannot run this workload here (not installed, or no implementation of the kind)."""


def setup(kind, shape, peer, rng):
    """Returns (call, check, note): the timed call, a function giving the max abs error, a note on what ran."""
    if peer == "pytorch" and torch is None:
        raise PeerUnavailable("PyTorch is not importable: " + TORCH_ERROR)
    if peer == "halide" and hl is None:
        raise PeerUnavailable("Halide is not importable: " + HALIDE_ERROR)

    if kind == "gemm":
        m, n, k = shape
        a, b = rand(rng, m, k), rand(rng, k, n)
        c = np.zeros((m, n), dtype=np.float32)
        check = lambda: gemm_sampled_error(a, b, c)  # noqa: E731
        if peer == "openblas":
            return (lambda: np.matmul(a, b, out=c)), check, "numpy.matmul(out=) -> OpenBLAS sgemm"
        if peer == "pytorch":
            ta, tb, tc = torch.from_numpy(a), torch.from_numpy(b), torch.from_numpy(c)
            return (lambda: torch.mm(ta, tb, out=tc)), check, "torch.mm(out=)"
        if peer == "halide":
            A, B, out, vec = halide_gemm(m, n, k)
            # Transposed views make Halide's dimension 0 the contiguous axis (Halide 14 keeps NumPy's axis order).
            A.set(hl.Buffer(a.T))
            B.set(hl.Buffer(b.T))
            cb = hl.Buffer(c.T)
            return (lambda: out.realize(cb)), check, f"matrix_multiplication.cpp schedule, vec={vec}, tile {3 * vec}x32"

    if kind == "conv":
        nb, ci, h, w, co, kh, kw, stride, pad = shape
        x, wt = rand(rng, nb, ci, h, w), rand(rng, co, ci, kh, kw)
        if peer == "pytorch":
            tx, tw = torch.from_numpy(x), torch.from_numpy(wt)
            res = {}
            call = lambda: res.__setitem__("y", F.conv2d(tx, tw, stride=stride, padding=pad))  # noqa: E731
            return call, (lambda: max_err(res["y"].numpy(), conv2d_reference(x, wt, stride, pad))), "torch.nn.functional.conv2d (oneDNN)"

    if kind == "softmax":
        m, n = shape
        x = rand(rng, m, n)
        if peer == "pytorch":
            tx, ty = torch.from_numpy(x), torch.empty(m, n)
            return (lambda: torch.softmax(tx, 1, out=ty)), (lambda: max_err(ty.numpy(), softmax_reference(x))), "torch.softmax(dim=1, out=)"

    if kind == "layernorm":
        m, n = shape
        x, gamma, beta = rand(rng, m, n), rand(rng, n), rand(rng, n)
        if peer == "pytorch":
            tx, tg, tb = torch.from_numpy(x), torch.from_numpy(gamma), torch.from_numpy(beta)
            res = {}
            call = lambda: res.__setitem__("y", F.layer_norm(tx, (n,), tg, tb, eps=1e-5))  # noqa: E731
            return call, (lambda: max_err(res["y"].numpy(), layernorm_reference(x, gamma, beta, 1e-5))), "torch.nn.functional.layer_norm"

    if kind == "caps-route":
        bsz, i, j, di, do, iters = shape
        u, w = rand(rng, bsz, i, di), rand(rng, i, j, do, di)
        if peer == "pytorch":
            tu, tw = torch.from_numpy(u), torch.from_numpy(w)
            res = {}

            def squash(s):
                sq = (s * s).sum(dim=-1, keepdim=True)
                return sq / (1 + sq) * s / torch.sqrt(sq)

            def route():
                # The usual CapsNet composition: materialise u_hat, then an eager routing loop.
                u_hat = torch.einsum("ijdk,bik->bijd", tw, tu)  # [B, I, J, DO]
                logits = torch.zeros(bsz, i, j)
                v = None
                for it in range(iters):
                    c = torch.softmax(logits, dim=2)
                    s = (c.unsqueeze(-1) * u_hat).sum(dim=1)  # [B, J, DO]
                    v = squash(s)
                    if it + 1 < iters:
                        logits = logits + (u_hat * v.unsqueeze(1)).sum(dim=-1)
                res["v"] = v

            return route, (lambda: max_err(res["v"].numpy(), caps_route_reference(u, w, iters))), \
                "einsum u_hat, eager softmax/sum/squash loop"

    if kind == "caps-conv":
        nb, h, w, ci, co, kk, stride, pad = shape
        # Layout of the Ansor benchmark's conv2d_capsule: input [N, H, W, 4, 4, CI], weight [K, K, 4, 4, CI, CO].
        x, wt = rand(rng, nb, h, w, 4, 4, ci), rand(rng, kk, kk, 4, 4, ci, co)
        if peer == "pytorch":
            tx, tw = torch.from_numpy(x), torch.from_numpy(wt)
            oh, ow = (h + 2 * pad - kk) // stride + 1, (w + 2 * pad - kk) // stride + 1
            res = {}

            def caps_conv():
                # im2col over space (unfold), then one contraction over (k, ci, ry, rx).
                xc = tx.permute(0, 3, 4, 5, 1, 2).reshape(nb, 16 * ci, h, w)
                cols = F.unfold(xc, kk, padding=pad, stride=stride).reshape(nb, 4, 4, ci, kk, kk, oh * ow)
                y = torch.einsum("npkcyxl,yxkqco->nlpqo", cols, tw)
                res["y"] = y.reshape(nb, oh, ow, 4, 4, co)

            return caps_conv, (lambda: max_err(res["y"].numpy(), caps_conv_reference(x, wt, stride, pad))), \
                "unfold + einsum composition"

    raise PeerUnavailable(f"no '{peer}' implementation of workload kind '{kind}' in peers.py")


def run_one(workload, peer, warmup, repeats, min_batch_ms):
    base = {"workload": workload["id"], "peer": peer}
    try:
        shape = [int(s) for s in workload["shape"].split(",")]
        rng = np.random.default_rng(1)
        call, check, note = setup(workload["kind"], shape, peer, rng)
        stats = measure(call, warmup, repeats, min_batch_ms)
        return {**base, "status": "ok", "note": note, "max_abs_error": json_number(check()), **stats}
    except PeerUnavailable as e:
        return {**base, "status": "not available", "message": str(e)}
    except Exception as e:  # one failing peer must not stop the run
        return {**base, "status": "failed", "message": f"{type(e).__name__}: {e}"}


def versions():
    v = {"python": sys.version.split()[0], "numpy": np.__version__, "threads": THREADS}
    try:
        import ctypes

        blas = ctypes.CDLL("libblas.so.3")
        blas.openblas_get_config.restype = ctypes.c_char_p
        v["openblas"] = blas.openblas_get_config().decode()
        v["openblas_threads"] = blas.openblas_get_num_threads()
    except Exception as e:
        v["openblas"] = "unknown (" + repr(e) + ")"
    v["torch"] = torch.__version__ if torch is not None else "missing: " + TORCH_ERROR
    if torch is not None:
        v["torch_threads"] = torch.get_num_threads()
        v["torch_mkldnn"] = bool(torch.backends.mkldnn.is_available())
    if hl is not None:
        try:
            import subprocess

            v["halide"] = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "python3-halide"],
                                         capture_output=True, text=True).stdout or "unknown"
        except Exception:
            v["halide"] = "unknown"
        v["halide_target"] = str(hl.get_jit_target_from_environment())
    else:
        v["halide"] = "missing: " + HALIDE_ERROR
    try:
        import subprocess

        pkgs = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Version}, ", "python3-numpy", "libopenblas0-pthread",
                               "python3-torch", "python3-halide"], capture_output=True, text=True).stdout
        v["debian_packages"] = pkgs.strip().rstrip(",")
    except Exception:
        pass
    return v


def serve():
    out = sys.stdout
    out.write(json.dumps({"ready": True, "versions": versions()}) + "\n")
    out.flush()
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        req = json.loads(line)
        if req.get("quit"):
            break
        res = run_one(req["workload"], req["peer"], int(req.get("warmup", 3)), int(req.get("repeats", 15)),
                      float(req.get("min_batch_ms", 20)))
        out.write(json.dumps(res) + "\n")
        out.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["serve", "run", "versions"])
    ap.add_argument("--threads", default=str(THREADS))
    ap.add_argument("--workloads", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "main",
                                                        "resources", "dev", "tessera", "bench", "workloads.json"))
    ap.add_argument("--only", default="", help="comma-separated workload ids")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--min-batch-ms", type=float, default=20)
    args = ap.parse_args()
    if args.mode == "serve":
        serve()
    elif args.mode == "versions":
        print(json.dumps(versions()))
    else:
        with open(args.workloads) as f:
            table = json.load(f)
        only = set(filter(None, args.only.split(",")))
        for w in table["workloads"]:
            if only and w["id"] not in only:
                continue
            for peer in w.get("peers", []):
                print(json.dumps(run_one(w, peer, args.warmup, args.repeats, args.min_batch_ms)), flush=True)


if __name__ == "__main__":
    main()
