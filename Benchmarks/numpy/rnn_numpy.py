#!/usr/bin/env python3
"""The rnn-bench formulation sweep, in numpy: the peer that rnn-bench --compare reads.

    python3 Benchmarks/numpy/rnn_numpy.py --output numpy.json
    swift run -c release rnn-bench --compare numpy.json

Same sizes, batches, sequence length, data shapes and method (warm-up, calls per sample scaled
to --min-time, at least 7 samples, median/min/max per step) as rnn-bench, in each --dtype
(float32 and float64 by default; every array of a run in that type, as rnn-bench's rows).
Formulations, each numpy's idiomatic best for that formula:
  fused                       W_h @ [h; x] with W_h pre-concatenated, into a preallocated
                              stacked buffer (np.matmul(..., out=), np.tanh(..., out=))
  fusedConcatenatingEachStep  np.hstack + np.vstack + np.matmul every step (the notebook)
  split                       np.matmul(W_hx, x, out=P); P += W_hh @ h; tanh into h
  hoisted                     W_hx @ [x_1 ... x_T] + b once, then per step W_hh @ h added

--cell lstm,gru measures PyTorch's LSTM and GRU steps the same way (fused: one product over
[x; h] with [W_ih | W_hh], or the GRU's 4H-row block matrix; split: W_ih @ x and W_hh @ h;
hoisted: W_ih @ [x_1 ... x_T] once), the gates in place with np.exp/np.tanh(..., out=).
"""
import argparse
import json
import os
import platform
import sys
import time


def parse():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="16,64,256,1024", help="comma-separated n_h = n_x")
    p.add_argument("--batches", default="1,32", help="comma-separated batch sizes")
    p.add_argument("--steps", type=int, default=100, help="sequence length T")
    p.add_argument("--threads", type=int, default=1, help="BLAS threads (set before numpy loads)")
    p.add_argument("--min-time", type=float, default=0.02, help="minimum seconds per sample")
    p.add_argument("--samples", type=int, default=7, help="samples per configuration (>= 7)")
    p.add_argument("--dtype", default="float32,float64", help="comma-separated element types: float32, float64")
    p.add_argument("--cell", default="rnn", help="comma-separated cells: rnn, lstm, gru")
    p.add_argument("--quick", action="store_true", help="sizes 16,64, T = 10, short samples")
    p.add_argument("--output", help="write the JSON report here (default: stdout)")
    a = p.parse_args()
    if a.samples < 7:
        p.error("--samples must be at least 7")
    if not set(a.dtype.split(",")) <= {"float32", "float64"}:
        p.error("--dtype takes float32 and/or float64")
    if not set(a.cell.split(",")) <= {"rnn", "lstm", "gru"}:
        p.error("--cell takes rnn, lstm and/or gru")
    if a.quick:
        a.sizes, a.steps, a.min_time = "16,64", 10, 0.002
    return a


args = parse()
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)
import numpy as np  # noqa: E402  (after the thread variables)


def measure(body, steps_per_call):
    calls, start = 0, time.perf_counter()
    while calls < 3 or time.perf_counter() - start < args.min_time / 2:
        body()
        calls += 1
    per_call = (time.perf_counter() - start) / calls
    reps = max(1, int(-(-args.min_time // max(per_call, 1e-9))))
    out = []
    for _ in range(args.samples):
        t0 = time.perf_counter_ns()
        for _ in range(reps):
            body()
        out.append((time.perf_counter_ns() - t0) / (reps * steps_per_call))
    return out


def blas_info():
    """numpy's BLAS: library and version (numpy.show_config), and the kernel it runs now, asked of
    the library itself (threadpoolctl if installed, else the OpenBLAS numpy bundles, via ctypes)."""
    name = f"numpy {np.__version__}"
    try:
        deps = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        name += f", {deps.get('name')} {deps.get('version')}"
    except Exception:  # pragma: no cover - older numpy
        pass
    core, config = "", ""
    try:
        from threadpoolctl import threadpool_info

        for pool in threadpool_info():
            if pool.get("user_api") == "blas":
                core, config = pool.get("architecture") or "", f"{pool.get('internal_api')} {pool.get('version')}"
                break
    except Exception:
        pass
    if not core:
        import ctypes
        import glob

        libs = os.path.join(os.path.dirname(np.__file__), "..", "numpy.libs")
        for path in glob.glob(os.path.join(libs, "*openblas*")) + glob.glob(os.path.join(os.path.dirname(np.__file__), "_core", "*openblas*")):
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            for prefix, suffix in (("scipy_", "64_"), ("scipy_", ""), ("", "64_"), ("", "")):
                try:
                    get_core = getattr(lib, f"{prefix}openblas_get_corename{suffix}")
                    get_config = getattr(lib, f"{prefix}openblas_get_config{suffix}")
                except AttributeError:
                    continue
                get_core.restype = get_config.restype = ctypes.c_char_p
                core, config = get_core().decode(), get_config().decode()
                break
            if core:
                break
    if config:
        name += f" ({' '.join(config.split())})"
    return name, core or "unknown"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def median_row(n, B, T, dtype, name, body, per, flops, cell):
    s = sorted(measure(body, per))
    med = s[len(s) // 2] if len(s) % 2 else (s[len(s) // 2 - 1] + s[len(s) // 2]) / 2
    label = "" if cell == "rnn" else cell + " "
    print(f"  {label}n = {n}, B = {B}, {dtype}: {name} on numpy: {med / 1000:.3f} us/step", file=sys.stderr)
    row = {
        "size": n, "batch": B, "steps": T, "formulation": name, "backend": "numpy", "dtype": dtype,
        "median_nanoseconds_per_step": med, "min_nanoseconds_per_step": s[0],
        "max_nanoseconds_per_step": s[-1], "gflops": flops / med, "samples": len(s),
    }
    if cell != "rnn":
        row["cell"] = cell
    return row


def sigmoid_(a):
    """The logistic function in place."""
    np.negative(a, out=a)
    np.exp(a, out=a)
    a += 1
    np.reciprocal(a, out=a)


def gated_cases(cell, n, B, T, dtype, rng):
    """(name, body, steps per call) for PyTorch's LSTM or GRU step, n_h = n_x = n."""
    f = lambda a: np.asarray(a, dtype=dtype)  # noqa: E731
    G = 4 if cell == "lstm" else 3
    wih = f(rng.standard_normal((G * n, n)) / np.sqrt(n))
    whh = f(rng.standard_normal((G * n, n)) / np.sqrt(n))
    bih, bhh = f(0.1 * rng.standard_normal((G * n, 1))), f(0.1 * rng.standard_normal((G * n, 1)))
    xs = [f(rng.standard_normal((n, B))) for _ in range(T)]
    X = np.hstack(xs)
    h0 = f(0.5 * rng.standard_normal((n, B)))
    state = {"t": 0}
    S = np.vstack((xs[0], h0))  # [x; h]
    h = S[n:]
    c = np.zeros((n, B), dtype=dtype)
    tc = np.empty((n, B), dtype=dtype)
    if cell == "lstm":
        w = np.hstack((wih, whh))
        b = bih + bhh
        Gt = np.empty((4 * n, B), dtype=dtype)

        def gates(g, out):
            sigmoid_(g[:2 * n])
            np.tanh(g[2 * n:3 * n], out=g[2 * n:3 * n])
            sigmoid_(g[3 * n:])
            c[...] *= g[n:2 * n]
            c[...] += g[:n] * g[2 * n:3 * n]
            np.tanh(c, out=tc)
            np.multiply(g[3 * n:], tc, out=out)

        def fused():
            S[:n] = xs[state["t"] % T]
            np.matmul(w, S, out=Gt)
            np.add(Gt, b, out=Gt)
            gates(Gt, h)
            state["t"] += 1

        def split():
            np.matmul(wih, xs[state["t"] % T], out=Gt)
            np.add(Gt, whh @ h, out=Gt)
            np.add(Gt, b, out=Gt)
            gates(Gt, h)
            state["t"] += 1

        P = np.empty((4 * n, T * B), dtype=dtype)

        def hoisted():
            np.matmul(wih, X, out=P)
            np.add(P, b, out=P)
            for t in range(T):
                blk = P[:, t * B:(t + 1) * B]
                blk += whh @ h
                gates(blk, h)
    else:
        z = np.zeros((n, n), dtype=dtype)
        w = np.vstack((np.hstack((wih[:2 * n], whh[:2 * n])), np.hstack((wih[2 * n:], z)),
                       np.hstack((z, whh[2 * n:]))))
        brz = bih[:2 * n] + bhh[:2 * n]
        Gt = np.empty((4 * n, B), dtype=dtype)
        R = np.empty((3 * n, B), dtype=dtype)

        def gates(a, hn):
            """a: the input side (r, z summed with their recurrent halves; n's input half), hn: W_hn h."""
            a[:2 * n] += brz
            sigmoid_(a[:2 * n])
            hn += bhh[2 * n:]
            hn *= a[:n]
            a[2 * n:3 * n] += hn
            a[2 * n:3 * n] += bih[2 * n:]
            np.tanh(a[2 * n:3 * n], out=a[2 * n:3 * n])
            np.subtract(h, a[2 * n:3 * n], out=tc)
            np.multiply(tc, a[n:2 * n], out=tc)
            np.add(a[2 * n:3 * n], tc, out=h)

        def fused():
            S[:n] = xs[state["t"] % T]
            np.matmul(w, S, out=Gt)
            gates(Gt, Gt[3 * n:])
            state["t"] += 1

        def split():
            np.matmul(wih, xs[state["t"] % T], out=Gt[:3 * n])
            np.matmul(whh, h, out=R)
            Gt[:2 * n] += R[:2 * n]
            gates(Gt, R[2 * n:])
            state["t"] += 1

        P = np.empty((3 * n, T * B), dtype=dtype)

        def hoisted():
            np.matmul(wih, X, out=P)
            for t in range(T):
                blk = P[:, t * B:(t + 1) * B]
                np.matmul(whh, h, out=R)
                blk[:2 * n] += R[:2 * n]
                gates(blk, R[2 * n:])
    return [("fused", fused, 1), ("split", split, 1), ("hoisted", hoisted, T)]


def main():
    sizes = [int(s) for s in args.sizes.split(",")]
    batches = [int(b) for b in args.batches.split(",")]
    T = args.steps
    rows = []
    for cell in [c for c in args.cell.split(",") if c != "rnn"]:
        for n in sizes:
            for B in batches:
                for dtype in args.dtype.split(","):
                    rng = np.random.default_rng(n * 1000 + B)
                    flops = 2.0 * (4 if cell == "lstm" else 3) * n * 2 * n * B
                    for name, body, per in gated_cases(cell, n, B, T, dtype, rng):
                        rows.append(median_row(n, B, T, dtype, name, body, per, flops, cell))
    for n in sizes if "rnn" in args.cell.split(",") else []:
        for B in batches:
            for dtype in args.dtype.split(","):
                rng = np.random.default_rng(n * 1000 + B)
                q, r = np.linalg.qr(rng.standard_normal((n, n)))
                f = lambda a: np.asarray(a, dtype=dtype)  # noqa: E731
                whh = f(q * np.sign(np.diag(r)))
                whx = f(rng.standard_normal((n, n)) / np.sqrt(n))
                b = f(np.zeros((n, 1)))
                wh = np.hstack((whh, whx))
                xs = [f(rng.standard_normal((n, B))) for _ in range(T)]
                X = np.hstack(xs)
                h0 = f(0.5 * rng.standard_normal((n, B)))
                flops = 2.0 * n * 2 * n * B
                state = {"t": 0}

                S = np.vstack((h0, xs[0]))
                P = np.empty((n, B), dtype=dtype)

                def fused():
                    t = state["t"] % T
                    S[n:] = xs[t]
                    np.matmul(wh, S, out=P)
                    np.add(P, b, out=P)
                    np.tanh(P, out=S[:n])
                    state["t"] += 1

                hs = {"h": h0.copy()}

                def naive():
                    t = state["t"] % T
                    hs["h"] = np.tanh(np.matmul(np.hstack((whh, whx)), np.vstack((hs["h"], xs[t]))) + b)
                    state["t"] += 1

                h = h0.copy()

                def split():
                    t = state["t"] % T
                    np.matmul(whx, xs[t], out=P)
                    P[...] += whh @ h
                    np.add(P, b, out=P)
                    np.tanh(P, out=h)
                    state["t"] += 1

                H = np.empty((n, T * B), dtype=dtype)

                def hoisted():
                    np.matmul(whx, X, out=H)
                    H[...] += b
                    prev = h0
                    for t in range(T):
                        blk = H[:, t * B:(t + 1) * B]
                        blk += whh @ prev
                        np.tanh(blk, out=blk)
                        prev = blk

                for name, body, per in (("fused", fused, 1), ("fusedConcatenatingEachStep", naive, 1),
                                        ("split", split, 1), ("hoisted", hoisted, T)):
                    rows.append(median_row(n, B, T, dtype, name, body, per, flops, "rnn"))
    blas = blas_info()
    report = {
        "system": {
            "cpu": cpu_model(), "cores": os.cpu_count(), "blas": blas[0], "blas_core": blas[1],
            "blas_threads": args.threads, "swift": f"Python {platform.python_version()}", "build": "release",
        },
        "command": " ".join(["rnn_numpy.py"] + sys.argv[1:]),
        "rows": rows,
        "verification": [],
    }
    text = json.dumps(report, indent=2)
    if args.output:
        with open(args.output, "w") as f:
            f.write(text + "\n")
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        print(text)


if __name__ == "__main__":
    main()
