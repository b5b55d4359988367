#!/usr/bin/env python3
"""ONNX Runtime's RNN, LSTM and GRU operators: the peer that `rnn-bench network --onnxruntime` runs.

    python3 -m pip install onnxruntime onnx numpy
    swift run -c release rnn-bench network --onnxruntime

rnn-bench starts this script once with --serve and talks to it in JSON lines on stdin/stdout, so
that ONNX Runtime's samples alternate with rnn-bench's own, round by round, in one run:

  {"op": "prepare", "weights": "state.npz", "input": "x.npy", "output": "y.npy", "mode": "lstm",
   "layers": 1, "bidirectional": false, "batch": 32, "threads": 1, "min_time": 0.02}
      builds the model from a PyTorch-named state dict (weight_ih_l{k}, weight_hh_l{k},
      bias_ih_l{k}, bias_hh_l{k}, _reverse), the same weights rnn-bench's network holds; runs it
      once on the input ((T·B) × I, PyTorch's T × B × I) and writes its output ((T·B) × (D·H)) to
      "output" for rnn-bench to compare; warms up and scales the calls per sample to min_time.
      Replies {"calls": N, "onnxruntime": version}.
  {"op": "sample"}   times N calls of session.run; replies {"ns_per_step": t} (with two or more
                     threads, after its pool's spinning threads have gone to sleep).
  {"op": "quit"}

The model is what exporting the PyTorch module gives: per layer one ONNX RNN/LSTM/GRU node (gates
reordered to ONNX's: LSTM i o f c from PyTorch's i f g o, GRU z r h from r z n with
linear_before_reset = 1, as PyTorch computes), then Transpose and Reshape to PyTorch's
(T, B, D·H) layout, which the next layer reads. Session: sequential execution, intra-op and
inter-op threads as given (1 by default), all graph optimisations.
"""
import json
import sys
import time


def build(state, mode, layers, bidirectional, dtype):
    import numpy as np
    from onnx import TensorProto, helper

    onnx_type = TensorProto.FLOAT if dtype == np.float32 else TensorProto.DOUBLE
    op = {"lstm": "LSTM", "gru": "GRU", "rnn_tanh": "RNN", "rnn_relu": "RNN"}[mode]
    gates = {"LSTM": 4, "GRU": 3, "RNN": 1}[op]
    # PyTorch's gate blocks in ONNX's order.
    order = {"LSTM": [0, 3, 1, 2], "GRU": [1, 0, 2], "RNN": [0]}[op]
    suffixes = ["", "_reverse"] if bidirectional else [""]
    hidden = state["weight_hh_l0"].shape[1]
    nodes, initializers = [], []

    def reorder(w):
        blocks = np.split(w, gates, axis=0)
        return np.concatenate([blocks[i] for i in order], axis=0)

    x = "X"
    for layer in range(layers):
        w = np.stack([reorder(state[f"weight_ih_l{layer}{s}"]) for s in suffixes]).astype(dtype)
        r = np.stack([reorder(state[f"weight_hh_l{layer}{s}"]) for s in suffixes]).astype(dtype)
        names = [f"W{layer}", f"R{layer}"]
        initializers += [helper.make_tensor(n, onnx_type, a.shape, a.ravel()) for n, a in zip(names, (w, r))]
        inputs = [x, names[0], names[1]]
        if f"bias_ih_l{layer}" in state:
            b = np.stack([
                np.concatenate([reorder(state[f"bias_ih_l{layer}{s}"].reshape(-1, 1)).ravel(),
                                reorder(state[f"bias_hh_l{layer}{s}"].reshape(-1, 1)).ravel()])
                for s in suffixes]).astype(dtype)
            initializers.append(helper.make_tensor(f"B{layer}", onnx_type, b.shape, b.ravel()))
            inputs.append(f"B{layer}")
        attributes = {"hidden_size": hidden, "direction": "bidirectional" if bidirectional else "forward"}
        if op == "GRU":
            attributes["linear_before_reset"] = 1
        if op == "RNN":
            attributes["activations"] = ["Relu" if mode == "rnn_relu" else "Tanh"] * len(suffixes)
        nodes.append(helper.make_node(op, inputs, [f"Y{layer}"], **attributes))
        # Y is (T, D, B, H): PyTorch's (T, B, D·H) for the next layer and the output.
        nodes.append(helper.make_node("Transpose", [f"Y{layer}"], [f"YT{layer}"], perm=[0, 2, 1, 3]))
        shape = np.array([0, 0, -1], dtype=np.int64)
        initializers.append(helper.make_tensor(f"S{layer}", TensorProto.INT64, [3], shape))
        x = "Y" if layer == layers - 1 else f"X{layer + 1}"
        nodes.append(helper.make_node("Reshape", [f"YT{layer}", f"S{layer}"], [x]))
    input_size = state["weight_ih_l0"].shape[1]
    graph = helper.make_graph(
        nodes, "recurrent", [helper.make_tensor_value_info("X", onnx_type, ["T", "B", input_size])],
        [helper.make_tensor_value_info("Y", onnx_type, ["T", "B", len(suffixes) * hidden])], initializers)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def serve():
    import numpy as np
    import onnxruntime as ort

    session, feed, calls, steps, threads = None, None, 1, 1, 1
    print(json.dumps({"ready": True, "onnxruntime": ort.__version__}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        if request["op"] == "quit":
            break
        if request["op"] == "prepare":
            try:
                calls, steps, session, feed = prepare(request)
                threads = request.get("threads", 1)
            except Exception as error:  # an operator ONNX Runtime lacks (float64), a bad file
                session = None
                print(json.dumps({"error": str(error).splitlines()[0][:300]}), flush=True)
                continue
            print(json.dumps({"calls": calls, "onnxruntime": ort.__version__}), flush=True)
        elif request["op"] == "sample":
            start = time.perf_counter_ns()
            for _ in range(calls):
                session.run(None, feed)
            elapsed = time.perf_counter_ns() - start
            if threads > 1:
                # The intra-op pool's threads spin-wait after a run before they sleep (ONNX
                # Runtime's default): they would take a core from the next sample, rnn-bench's
                # own (measured: its 2-thread network 1.15× slower). Let them go to sleep first.
                time.sleep(0.2)
            print(json.dumps({"ns_per_step": elapsed / (calls * steps)}), flush=True)


def prepare(request):
    import numpy as np
    import onnxruntime as ort

    with np.load(request["weights"]) as archive:
        state = {k: archive[k] for k in archive.files}
    x = np.load(request["input"])
    dtype = x.dtype.type
    batch = request["batch"]
    steps = x.shape[0] // batch
    model = build(state, request["mode"], request["layers"], request["bidirectional"], dtype)
    options = ort.SessionOptions()
    options.intra_op_num_threads = request.get("threads", 1)
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    feed = {"X": np.ascontiguousarray(x.reshape(steps, batch, x.shape[1]))}
    y = session.run(None, feed)[0]
    np.save(request["output"], y.reshape(steps * batch, y.shape[2]))
    # Warm-up, then calls per sample scaled to min_time.
    start, n = time.perf_counter(), 0
    while n < 3 or time.perf_counter() - start < request["min_time"] / 2:
        session.run(None, feed)
        n += 1
    per_call = (time.perf_counter() - start) / n
    calls = max(1, int(request["min_time"] / per_call + 0.999))
    return calls, steps, session, feed


if __name__ == "__main__":
    if sys.argv[1:] != ["--serve"]:
        print(__doc__, file=sys.stderr)
        sys.exit(64)
    try:
        serve()
    except ImportError as error:
        print(json.dumps({"error": f"{error} (python3 -m pip install onnxruntime onnx numpy)"}), flush=True)
        sys.exit(1)
