#!/usr/bin/env python3
"""PyTorch's own training step, timed as `rnn-bench train` times ours.

For each configuration (mode, H = I, B, dtype) and T steps: a one-layer nn.RNN/nn.LSTM/nn.GRU,
inputs and targets from a fixed seed; the forward pass alone (torch.no_grad), and one training
step: zero_grad, forward, nn.MSELoss over the output, backward, torch.optim.Adam's step. Best of
--samples runs after a warm-up, one thread unless --threads says more: torch's intra-op threads
and the threads of the BLAS torch calls (OpenBLAS, MKL, OpenMP read their variables when torch is
imported; `torch.set_num_threads` alone leaves a system OpenBLAS on every core). Prints one JSON
object per line: {"mode", "size", "batch", "dtype", "forward_ms", "step_ms"}, after a first line
{"torch": version, "threads": n, "blas_threads": n}.

    python3 rnn_train_torch.py --modes lstm,gru,rnn_tanh --sizes 64,256 --batches 1,32 \
        --dtypes float32,float64 --steps 100 --samples 5
"""
import argparse
import json
import os
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--modes", default="rnn_tanh,lstm,gru")
    parser.add_argument("--sizes", default="64,256")
    parser.add_argument("--batches", default="1,32")
    parser.add_argument("--dtypes", default="float32,float64")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = str(args.threads)
    import torch  # after the thread variables: the BLAS reads them when it is loaded

    torch.set_num_threads(args.threads)
    print(
        json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "blas_threads": args.threads}),
        flush=True,
    )
    modules = {
        "rnn_tanh": lambda h: torch.nn.RNN(h, h, nonlinearity="tanh"),
        "rnn_relu": lambda h: torch.nn.RNN(h, h, nonlinearity="relu"),
        "lstm": lambda h: torch.nn.LSTM(h, h),
        "gru": lambda h: torch.nn.GRU(h, h),
    }
    for dtype in args.dtypes.split(","):
        for mode in args.modes.split(","):
            for size in map(int, args.sizes.split(",")):
                for batch in map(int, args.batches.split(",")):
                    torch.manual_seed(0)
                    kind = getattr(torch, dtype)
                    net = modules[mode](size).to(kind)
                    x = torch.randn(args.steps, batch, size, dtype=kind)
                    y = torch.randn(args.steps, batch, size, dtype=kind)
                    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)

                    def forward():
                        with torch.no_grad():
                            net(x)

                    def step():
                        optimizer.zero_grad()
                        output, _ = net(x)
                        torch.nn.functional.mse_loss(output, y).backward()
                        optimizer.step()

                    best = {}
                    for name, body in (("forward_ms", forward), ("step_ms", step)):
                        body()
                        times = []
                        for _ in range(args.samples):
                            start = time.perf_counter()
                            body()
                            times.append(time.perf_counter() - start)
                        best[name] = min(times) * 1e3
                    print(json.dumps({"mode": mode, "size": size, "batch": batch, "dtype": dtype, **best}), flush=True)


if __name__ == "__main__":
    main()
