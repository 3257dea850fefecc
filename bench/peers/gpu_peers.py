#!/usr/bin/env python3
"""The peers' side of `bench/gpu/compare`: cuBLAS and PyTorch eager on the GPU Tessera ran on.

Run with a python3 that has PyTorch (with CUDA for real figures). The harness
(dev.tessera.bench.GpuCompare) starts `gpu_peers.py serve --device cuda` once and sends one JSON
request a line on stdin; each answer is one JSON line on stdout, everything else goes to stderr.

A request names a workload (kind and Tessera shape arguments, as in
bench/src/main/resources/dev/tessera/bench/gpu-workloads.json), a peer, the timing protocol
(protocol.py, the same as the Java side's; on CUDA each batch is timed with CUDA events around
back-to-back calls on resident tensors) and, in "data", the folder where the harness wrote the
workload's inputs and Tessera's outputs as raw little-endian float32 files. The peer
  * computes its own outputs from those inputs and times them ("cublas": torch.matmul in fp32 with
    TF32 off; "pytorch": eager softmax, layer_norm, or the CapsNet routing composition of
    BENCHMARKS.md with a materialised u_hat and an eager loop),
  * computes a float64 reference from the same inputs, on the same device,
  * reports the largest absolute error of its own output and of Tessera's ("tessera_check"), with
    the reference's largest magnitude.
Kind "copy" times dst.copy_(src) of two float32 tensors of `shape` elements: the device-to-device
copy bandwidth (bytes read + written) that memory-bound kernels are measured against.

Standalone: `gpu_peers.py versions` prints what would be used.
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np

from protocol import json_number, max_err, measure

try:
    import torch
    import torch.nn.functional as F

    torch.set_grad_enabled(False)
    TORCH_ERROR = None
except Exception as e:  # reported per figure, not fatal
    torch = None
    TORCH_ERROR = repr(e)

DEVICE = "cuda"
LAYERNORM_EPS = 1e-5  # PyTorch's default, and Tessera's layernorm (LayerNormOp.EPS)


def log(*a):
    print(*a, file=sys.stderr, flush=True)


class PeerUnavailable(Exception):
    """The peer cannot run here (no PyTorch, no CUDA device, no implementation of the kind)."""


def device_ready():
    if torch is None:
        raise PeerUnavailable("PyTorch is not importable: " + TORCH_ERROR)
    if DEVICE == "cuda" and not torch.cuda.is_available():
        raise PeerUnavailable("PyTorch " + torch.__version__ + " sees no CUDA device (torch.cuda.is_available() is False)")


def timer(fn):
    """A batch timer: CUDA events around `calls` back-to-back calls on the GPU, the wall clock on the CPU."""
    if DEVICE != "cuda":
        from protocol import wall_clock
        return wall_clock(fn)

    def time_ms(calls):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(calls):
            fn()
        end.record()
        end.synchronize()
        return start.elapsed_time(end)
    return time_ms


def load(data, name, shape):
    """One raw little-endian float32 file the harness wrote, as a tensor on the device."""
    path = os.path.join(data["dir"], name + ".f32")
    a = np.fromfile(path, dtype="<f4")
    want = int(np.prod(shape))
    if a.size != want:
        raise ValueError(f"{path}: {a.size} floats, expected {want} for shape {shape}")
    return torch.from_numpy(a.reshape(shape)).to(DEVICE)


def squash(s):
    sq = (s * s).sum(dim=-1, keepdim=True)
    return sq / (1 + sq) * s / torch.sqrt(sq)


def route(u, w, iters):
    """The usual CapsNet composition (BENCHMARKS.md): materialise u_hat, then an eager routing loop."""
    u_hat = torch.einsum("ijdk,bik->bijd", w, u)  # [B, I, J, DO]
    logits = torch.zeros(u_hat.shape[:3], dtype=u.dtype, device=u.device)
    v = None
    for it in range(iters):
        c = torch.softmax(logits, dim=2)
        s = (c.unsqueeze(-1) * u_hat).sum(dim=1)  # [B, J, DO]
        v = squash(s)
        if it + 1 < iters:
            logits = logits + (u_hat * v.unsqueeze(1)).sum(dim=-1)
    return v


def setup(kind, shape, peer, data):
    """Returns (call, result, reference, note, tessera): the timed call, its output after a call, the float64
    reference, what ran, and Tessera's output (or None)."""
    device_ready()
    outputs = data.get("outputs", []) if data else []

    def tessera():
        """Tessera's output (the operator's one output), or None when the harness sent none."""
        return load(data, outputs[0][0], outputs[0][1]) if outputs else None

    if kind == "gemm" and peer == "cublas":
        m, n, k = shape
        a, b = load(data, "A", [m, k]), load(data, "B", [k, n])
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        c = torch.empty(m, n, device=DEVICE)
        return (lambda: torch.matmul(a, b, out=c)), (lambda: c), (lambda: a.double() @ b.double()), \
            "torch.matmul fp32, TF32 off (cuBLAS SGEMM)" if DEVICE == "cuda" else "torch.matmul fp32 (CPU)", tessera()
    if kind == "softmax" and peer == "pytorch":
        m, n = shape
        x = load(data, "X", [m, n])
        res = {}
        call = lambda: res.__setitem__("y", torch.softmax(x, dim=1))  # noqa: E731
        return call, (lambda: res["y"]), (lambda: torch.softmax(x.double(), dim=1)), "torch.softmax(dim=1), eager", tessera()
    if kind == "layernorm" and peer == "pytorch":
        m, n = shape
        x, g, b = load(data, "X", [m, n]), load(data, "gamma", [n]), load(data, "beta", [n])
        res = {}
        call = lambda: res.__setitem__("y", F.layer_norm(x, (n,), g, b, eps=LAYERNORM_EPS))  # noqa: E731
        ref = lambda: F.layer_norm(x.double(), (n,), g.double(), b.double(), eps=LAYERNORM_EPS)  # noqa: E731
        return call, (lambda: res["y"]), ref, "torch.nn.functional.layer_norm, eager", tessera()
    if kind == "caps-route" and peer == "pytorch":
        bsz, i, j, di, do, iters = shape
        u, w = load(data, "u", [bsz, i, di]), load(data, "W", [i, j, do, di])
        res = {}
        call = lambda: res.__setitem__("v", route(u, w, iters))  # noqa: E731
        ref = lambda: route(u.double(), w.double(), iters)  # noqa: E731
        return call, (lambda: res["v"]), ref, "einsum u_hat, eager softmax/sum/squash loop", tessera()
    raise PeerUnavailable(f"no '{peer}' implementation of workload kind '{kind}' in gpu_peers.py")


def run_one(req):
    w = req["workload"]
    peer = req["peer"]
    base = {"workload": w["id"], "peer": peer}
    try:
        shape = [int(s) for s in w["shape"].split(",")]
        warmup, repeats, min_batch_ms = int(req.get("warmup", 5)), int(req.get("repeats", 20)), float(req.get("min_batch_ms", 10))
        if w["kind"] == "copy":
            device_ready()
            src = torch.rand(shape[0], device=DEVICE)
            dst = torch.empty_like(src)
            stats = measure(lambda: dst.copy_(src), warmup, repeats, min_batch_ms, timer)
            return {**base, "status": "ok", "note": f"dst.copy_(src), 2 x {shape[0] * 4 / 2**20:.0f} MiB float32",
                    "bytes": 2 * 4 * shape[0], "max_abs_error": 0.0, **stats}
        call, result, reference, note, tessera = setup(w["kind"], shape, peer, req.get("data"))
        stats = measure(call, warmup, repeats, min_batch_ms, timer)
        want = reference()
        out = {**base, "status": "ok", "note": note, **stats,
               "max_abs_error": json_number(max_err(result().cpu().numpy(), want.cpu().numpy()))}
        if tessera is not None:
            out["tessera_check"] = {"max_abs_error": json_number(max_err(tessera.cpu().numpy(), want.cpu().numpy())),
                                    "max_abs_reference": float(want.abs().max().item()), "points": int(want.numel()),
                                    "reference": "float64 PyTorch on " + DEVICE}
        return out
    except PeerUnavailable as e:
        return {**base, "status": "not available", "message": str(e)}
    except Exception as e:  # one failing peer must not stop the run
        return {**base, "status": "failed", "message": f"{type(e).__name__}: {e}"}
    finally:
        if torch is not None and DEVICE == "cuda" and torch.cuda.is_available():
            torch.cuda.empty_cache()


def versions():
    v = {"python": sys.version.split()[0], "numpy": np.__version__, "peer_device": DEVICE}
    if torch is None:
        v["torch"] = "missing: " + TORCH_ERROR
        return v
    v["torch"] = torch.__version__
    if DEVICE == "cuda":
        v["torch_cuda"] = str(torch.version.cuda)
        if torch.cuda.is_available():
            v["gpu"] = torch.cuda.get_device_name(0)
            p = torch.cuda.get_device_properties(0)
            v["gpu_sms"] = p.multi_processor_count
            v["cublas"] = "bundled with torch " + torch.__version__ + " (CUDA " + str(torch.version.cuda) + ")"
        else:
            v["gpu"] = "none visible to PyTorch"
        try:
            q = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"], capture_output=True, text=True, timeout=30)
            if q.returncode == 0 and q.stdout.strip():
                v["nvidia_smi"] = q.stdout.strip().splitlines()[0]
        except Exception:
            pass
    else:
        v["torch_threads"] = torch.get_num_threads()
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
        out.write(json.dumps(run_one(req)) + "\n")
        out.flush()


def main():
    global DEVICE
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["serve", "versions"])
    ap.add_argument("--device", choices=["cuda", "cpu"], default="cuda",
                    help="where the peers run: cuda (the GPU Tessera ran on), or cpu for a dry run against an OpenCL CPU device")
    args = ap.parse_args()
    DEVICE = args.device
    if args.mode == "serve":
        serve()
    else:
        print(json.dumps(versions()))


if __name__ == "__main__":
    main()
