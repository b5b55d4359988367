#!/usr/bin/env python3
"""Prepares a build against the scipy-openblas32 wheel and prints the shell lines that select it.

    python3 -m pip install scipy-openblas32
    eval "$(python3 Sources/BLASProviders/scipy-openblas/configure.py)"
    swift build -c release          # or swift test, swift run ...

The wheel's own pkg-config file links by full path with an rpath, flags SwiftPM does not accept
from pkg-config, so this writes a plain one (-I, -L, -l only) under .build/scipy-openblas/ and
prints: SWIFT_BLAS_RNN_BLAS=scipy-openblas, PKG_CONFIG_PATH with that directory first, and
LD_LIBRARY_PATH with the wheel's library directory (found at run time by programs and tests).
"""
import os
import shlex
import sys

try:
    import scipy_openblas32 as wheel
except ImportError:
    sys.exit("scipy-openblas32 is not installed: python3 -m pip install scipy-openblas32")

root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
directory = os.path.join(root, ".build", "scipy-openblas", "pkgconfig")
os.makedirs(directory, exist_ok=True)
lib, include = wheel.get_lib_dir(), wheel.get_include_dir()
with open(os.path.join(directory, "swift-blas-rnn-scipy-openblas.pc"), "w") as pc:
    pc.write(
        f"libdir={lib}\nincludedir={include}\n\n"
        f"Name: swift-blas-rnn-scipy-openblas\nDescription: scipy-openblas32 {wheel.__version__} for swift-blas-rnn\n"
        f"Version: {wheel.__version__}\nLibs: -L${{libdir}} -l{wheel.get_library()}\nCflags: -I${{includedir}}\n"
    )


def prepend(variable, value):
    current = os.environ.get(variable)
    return value if not current else value + ":" + current


print("export SWIFT_BLAS_RNN_BLAS=scipy-openblas")
print("export PKG_CONFIG_PATH=" + shlex.quote(prepend("PKG_CONFIG_PATH", directory)))
print("export LD_LIBRARY_PATH=" + shlex.quote(prepend("LD_LIBRARY_PATH", lib)))
