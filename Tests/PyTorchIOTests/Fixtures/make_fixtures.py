"""Writes the PyTorchIO test fixtures with real PyTorch (and the hostile files by hand).

Run from this directory with a Python that imports torch, numpy and safetensors, e.g. Debian's
python3-torch in a venv made with --system-site-packages and `pip install "numpy<2" safetensors`:
    V/bin/python make_fixtures.py
Every file is small (hidden sizes of 3 to 5); the expected values are .npz files written by numpy.
"""
import collections
import io
import pickle
import struct
import zipfile

import numpy as np
import torch
from safetensors.torch import save_file

torch.manual_seed(7)


def expected(name, tensors):
    np.savez(name, **{k: v.detach().double().numpy() for k, v in tensors.items()})


# 1. A bare state dict of a 2-layer bidirectional LSTM, and its tensors for comparison.
lstm = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True)
torch.save(lstm.state_dict(), "lstm_state_dict.pt")
expected("lstm_state_dict_expected.npz", lstm.state_dict())


# 2. A whole model's state dict (a recurrent layer beside others) in a training checkpoint.
class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Linear(2, 3)
        self.encoder = torch.nn.Module()
        self.encoder.rnn = torch.nn.GRU(3, 5, batch_first=True)
        self.norm = torch.nn.BatchNorm1d(5)  # an int64 buffer: num_batches_tracked
        self.head = torch.nn.Linear(5, 1)


model = Model()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
loss = model.head(model.encoder.rnn(model.embed(torch.randn(2, 4, 2)))[0]).pow(2).mean()
loss.backward()
optimizer.step()
torch.save(
    {"epoch": 3, "model_state_dict": model.state_dict(), "optimizer_state_dict": optimizer.state_dict(),
     "loss": float(loss), "note": "fixture", "flags": [True, None, (1, 2.5)]},
    "checkpoint.pt")
expected("checkpoint_expected.npz", {k: v for k, v in model.state_dict().items() if v.is_floating_point()})


# The modules' own outputs, for rnn-forward: the LSTM time-major, the checkpoint's GRU batch_first.
with torch.no_grad():
    x = torch.randn(5, 2, 3)
    out, (h, c) = lstm(x)
    expected("lstm_forward.npz", {"input": x, "output": out, "h_n": h, "c_n": c})
    xb = torch.randn(2, 4, 3)  # B = 2, T = 4: batch_first
    out, h = model.encoder.rnn(xb)
    expected("checkpoint_gru_forward.npz", {"input": xb, "output": out, "h_n": h})


# 3. Two recurrent modules in one state dict.
class TwoRNNs(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = torch.nn.LSTM(2, 3)
        self.decoder = torch.nn.RNN(3, 3)


torch.save(TwoRNNs().state_dict(), "two_modules.pt")

# 4. Half precision: float16 in torch.save, bfloat16 in safetensors; float64 as is.
gru = torch.nn.GRU(3, 4)
half = {k: v.half() for k, v in gru.state_dict().items()}
torch.save(half, "gru_float16.pt")
expected("gru_float16_expected.npz", half)
bf16 = {k: v.bfloat16() for k, v in gru.state_dict().items()}
save_file(bf16, "gru_bfloat16.safetensors")
expected("gru_bfloat16_expected.npz", bf16)
double = {k: v.double() for k, v in gru.state_dict().items()}
torch.save(double, "gru_float64.pt")
save_file({k: v.contiguous() for k, v in lstm.state_dict().items()}, "lstm.safetensors")

# 5. Views: tensors that share one storage, transposed, sliced and offset.
base = torch.arange(60, dtype=torch.float32).reshape(6, 10)
views = {"whole": base, "transposed": base.t(), "rows": base[2:5], "columns": base[:, 3:7],
         "strided": base[::2, ::3], "element": base[4, 7], "empty": base[:0]}
torch.save(views, "views.pt")
expected("views_expected.npz", views)

# 6. A Parameter saved as such (dict(model.named_parameters())).
torch.save(dict(gru.named_parameters()), "parameters.pt")

# 7. Refused: a pickled module, and the legacy format.
torch.save(lstm, "whole_module.pt")
torch.save(lstm.state_dict(), "legacy.pt", _use_new_zipfile_serialization=False)


# 8. Hostile files: valid zip containers whose data.pkl asks for too much or lies.
def torch_zip(name, pickle_bytes, records=None):
    with zipfile.ZipFile(name, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pickle_bytes)
        z.writestr("archive/version", "3\n")
        for key, data in (records or {}).items():
            z.writestr("archive/data/" + key, data)


class Reduce:
    def __init__(self, fn, args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return (self.fn, self.args)


import os  # noqa: E402  (os.system is the classic pickle attack; it is never called)

torch_zip("hostile_os_system.pt", pickle.dumps({"w": Reduce(os.system, ("echo pwned",))}, protocol=2))
torch_zip("hostile_eval.pt", pickle.dumps(Reduce(eval, ("1+1",)), protocol=2))


def tensor_pickle(offset, size, stride, numel, key="0", storage="FloatStorage"):
    """A state dict {"w": tensor} pickled by hand, with any offset, size, stride and numel."""
    out = io.BytesIO()
    out.write(b"\x80\x02" + b"ccollections\nOrderedDict\nq\x00)R(X\x01\x00\x00\x00w")
    out.write(b"ctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storage")
    out.write(b"ctorch\n" + storage.encode() + b"\n")
    out.write(b"X" + struct.pack("<I", len(key)) + key.encode() + b"X\x03\x00\x00\x00cpu")
    out.write(b"\x8a\x08" + struct.pack("<q", numel) + b"tQ")
    out.write(b"\x8a\x08" + struct.pack("<q", offset))
    out.write(b"(" + b"".join(b"\x8a\x08" + struct.pack("<q", n) for n in size) + b"t")
    out.write(b"(" + b"".join(b"\x8a\x08" + struct.pack("<q", n) for n in stride) + b"t")
    out.write(b"\x89h\x00)Rtbu.".replace(b"tbu", b"tRu"))
    return out.getvalue()


# A correct one first, so that the hand-made pickle is known to be what torch reads.
torch_zip("handmade.pt", tensor_pickle(1, (2, 3), (3, 1), 8), {"0": np.arange(8, dtype="<f4").tobytes()})
assert torch.load("handmade.pt")["w"].tolist() == [[1, 2, 3], [4, 5, 6]]
torch_zip("hostile_offset.pt", tensor_pickle(7, (2, 3), (3, 1), 8), {"0": np.arange(8, dtype="<f4").tobytes()})
torch_zip("hostile_stride.pt", tensor_pickle(0, (2, 3), (300, 1), 8), {"0": np.arange(8, dtype="<f4").tobytes()})
torch_zip("hostile_huge_storage.pt", tensor_pickle(0, (1 << 31, 1 << 31), (1 << 31, 1), 1 << 62),
          {"0": b"\0" * 16})
torch_zip("hostile_record_size.pt", tensor_pickle(0, (2,), (1,), 1000), {"0": b"\0" * 8})
torch_zip("hostile_missing_record.pt", tensor_pickle(0, (2,), (1,), 2))
torch_zip("hostile_overflow.pt", tensor_pickle(0, (1 << 62, 4), (4, 1), 8), {"0": b"\0" * 32})
# Memo abuse: a GET of an index never PUT, and a list that holds itself a million times over.
torch_zip("hostile_memo.pt", b"\x80\x02}q\x00(X\x01\x00\x00\x00wh\x07u.")
# (t0 = (), t1 = (t0, t0), ..., t39: a 40-byte-per-level DAG whose tree has 2**40 leaves.)
nested = b"\x80\x02}(X\x01\x00\x00\x00w)q\x00" + b"".join(b"h%c\x86q%c" % (i - 1, i) for i in range(1, 40)) + b"u."
torch_zip("hostile_shared_lists.pt", nested)
torch_zip("hostile_deep.pt", b"\x80\x02" + b"]" * 100000 + b"." )
nested_dict = {"w": 1}
for _ in range(200):
    nested_dict = {"a": nested_dict}
torch_zip("hostile_nested.pt", pickle.dumps(nested_dict, protocol=2))
torch_zip("hostile_truncated_pickle.pt", pickle.dumps({"w": 1}, protocol=2)[:-3])

# 9. Hostile safetensors: truncated and bit-flipped copies of a valid file.
valid = open("lstm.safetensors", "rb").read()
open("hostile_truncated.safetensors", "wb").write(valid[: len(valid) - 5])
header_length = struct.unpack("<Q", valid[:8])[0]
open("hostile_header_length.safetensors", "wb").write(struct.pack("<Q", header_length + 100000) + valid[8:])
flipped = bytearray(valid)
flipped[8 + valid[8:].index(b'"data_offsets":[') + 16] ^= 0x01  # the first begin offset: 0 becomes 1
open("hostile_offsets.safetensors", "wb").write(bytes(flipped))

# 10. Padded batches with lengths (pack_padded_sequence, enforce_sorted=False) and batch_first,
# every mode x layers x directions x bias x batch_first x initial states (half of them), in float64; NaN in
# the padding, which must never be read. One .npz: case{i}.{tensor}.
cases = {}
torch.manual_seed(11)
i = 0
for mode in ["rnn_tanh", "rnn_relu", "lstm", "gru"]:
    for layers in [1, 2]:
        for bidirectional in [False, True]:
            for bias in [True, False]:
                for batch_first in [False, True]:
                    for initial in [False, True]:
                        if (layers + bidirectional + bias + batch_first + initial) % 2 == 1:
                            continue  # half the combinations, each factor still both ways
                        T, B, I, H = 6, 4, 3, 5
                        kind = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}.get(mode, torch.nn.RNN)
                        extra = {"nonlinearity": mode[4:]} if mode.startswith("rnn") else {}
                        net = kind(I, H, num_layers=layers, bidirectional=bidirectional, bias=bias,
                                   batch_first=batch_first, **extra).double()
                        lengths = torch.tensor([4, 6, 1, 4])
                        x = torch.randn(B, T, I, dtype=torch.float64) if batch_first else \
                            torch.randn(T, B, I, dtype=torch.float64)
                        for b in range(B):
                            if batch_first:
                                x[b, lengths[b]:] = float("nan")
                            else:
                                x[lengths[b]:, b] = float("nan")
                        D = 2 if bidirectional else 1
                        h0 = torch.randn(D * layers, B, H, dtype=torch.float64) if initial else None
                        c0 = torch.randn(D * layers, B, H, dtype=torch.float64) if initial else None
                        packed = torch.nn.utils.rnn.pack_padded_sequence(
                            x, lengths, batch_first=batch_first, enforce_sorted=False)
                        with torch.no_grad():
                            if mode == "lstm":
                                out, (hn, cn) = net(packed, (h0, c0) if initial else None)
                            else:
                                out, hn = net(packed, h0)
                                cn = None
                        out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=batch_first, total_length=T)
                        prefix = "case%d." % i
                        for k, v in net.state_dict().items():
                            cases[prefix + k] = v.numpy()
                        cases[prefix + "config"] = np.array(
                            [["rnn_tanh", "rnn_relu", "lstm", "gru"].index(mode), layers, bidirectional, bias,
                             batch_first, initial], dtype=np.float64)
                        cases[prefix + "input"] = x.numpy()
                        cases[prefix + "lengths"] = lengths.numpy().astype(np.float64)
                        cases[prefix + "output"] = out.numpy()
                        cases[prefix + "h_n"] = hn.numpy()
                        if initial:
                            cases[prefix + "h_0"] = h0.numpy()
                            if mode == "lstm":
                                cases[prefix + "c_0"] = c0.numpy()
                        if cn is not None:
                            cases[prefix + "c_n"] = cn.numpy()
                        i += 1
np.savez_compressed("packed_cases.npz", **cases)
print(i, "packed cases")

# 11. LSTMs with proj_size (weight_hr_l{k}), layers x directions x bias x batch_first x initial
# states x lengths, float64: PyTorch's own module, packed when there are lengths.
cases = {}
torch.manual_seed(13)
i = 0
for layers in [1, 2]:
    for bidirectional in [False, True]:
        for bias in [True, False]:
            for batch_first in [False, True]:
                for initial in [False, True]:
                    for padded in [False, True]:
                        if (layers + bidirectional + bias + batch_first + initial + padded) % 2 == 1:
                            continue
                        T, B, I, H, P = 5, 3, 4, 6, 2
                        net = torch.nn.LSTM(I, H, num_layers=layers, bidirectional=bidirectional, bias=bias,
                                            batch_first=batch_first, proj_size=P).double()
                        lengths = torch.tensor([3, 5, 2]) if padded else torch.tensor([T] * B)
                        x = torch.randn(B, T, I, dtype=torch.float64) if batch_first else \
                            torch.randn(T, B, I, dtype=torch.float64)
                        D = 2 if bidirectional else 1
                        h0 = torch.randn(D * layers, B, P, dtype=torch.float64) if initial else None
                        c0 = torch.randn(D * layers, B, H, dtype=torch.float64) if initial else None
                        with torch.no_grad():
                            if padded:
                                for b in range(B):
                                    if batch_first:
                                        x[b, lengths[b]:] = float("nan")
                                    else:
                                        x[lengths[b]:, b] = float("nan")
                                packed = torch.nn.utils.rnn.pack_padded_sequence(
                                    x, lengths, batch_first=batch_first, enforce_sorted=False)
                                out, (hn, cn) = net(packed, (h0, c0) if initial else None)
                                out, _ = torch.nn.utils.rnn.pad_packed_sequence(
                                    out, batch_first=batch_first, total_length=T)
                            else:
                                out, (hn, cn) = net(x, (h0, c0) if initial else None)
                        prefix = "case%d." % i
                        for k, v in net.state_dict().items():
                            cases[prefix + k] = v.numpy()
                        cases[prefix + "config"] = np.array(
                            [2, layers, bidirectional, bias, batch_first, initial], dtype=np.float64)
                        cases[prefix + "input"] = x.numpy()
                        cases[prefix + "lengths"] = lengths.numpy().astype(np.float64)
                        cases[prefix + "output"] = out.numpy()
                        cases[prefix + "h_n"] = hn.numpy()
                        cases[prefix + "c_n"] = cn.numpy()
                        if initial:
                            cases[prefix + "h_0"] = h0.numpy()
                            cases[prefix + "c_0"] = c0.numpy()
                        i += 1
np.savez_compressed("projection_cases.npz", **cases)
print(i, "projection cases")
