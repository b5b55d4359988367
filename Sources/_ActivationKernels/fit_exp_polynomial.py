"""Derives the polynomials in include/ActivationKernels.h.

e^r = 1 + r + r^2 g(r) on |r| <= ln 2 / 2 (the sigmoid's exponential: SWIFT_BLAS_RNN_EXP_G*,
degree 9, for double; SWIFT_BLAS_RNN_EXP_F*, degree 4, for float) and e^r - 1 = r + r^2 h(r) on
0 <= r <= ln 2 (tanh's: SWIFT_BLAS_RNN_EXPM1_H*, degree 10; SWIFT_BLAS_RNN_EXPM1_F*, degree 5):
Chebyshev fits of (e^r - 1 - r) / r^2 computed with 50 significant digits (near-minimax). Prints
the coefficients rounded to the type and the worst relative error of the result with them, in
exact arithmetic, in units of the type's 2^-53 or 2^-24. Needs mpmath and numpy. Not part of the
build.
"""

import mpmath as mp
import numpy as np

mp.mp.dps = 50


def g(r):
    if r == 0:
        return mp.mpf(1) / 2
    return (mp.exp(r) - 1 - r) / r**2


def fit(name, low, high, degree, value, single=False):
    poly = mp.chebyfit(g, [low, high], degree + 1)
    coefficients = [float(np.float32(float(c))) if single else float(c) for c in reversed(poly)]
    worst = 0
    for i in range(4001):
        r = low + (high - low) * i / 4000
        if r == 0:
            continue
        approx = value(r, r * r * sum(mp.mpf(c) * r**k for k, c in enumerate(coefficients)))
        exact = value(r, r * r * g(r))
        worst = max(worst, abs(approx / exact - 1))
    for i, c in enumerate(coefficients):
        print(f"#define SWIFT_BLAS_RNN_{name}{i} " + (f"{np.float32(c)!s}f" if single else f"{c!r}"))
    unit = 24 if single else 53
    print(f"// worst relative error {float(worst / mp.mpf(2) ** -unit):.3f} x 2^-{unit}")


LN2 = mp.log(2)
fit("EXP_G", -LN2 / 2, LN2 / 2, 9, lambda r, tail: 1 + r + tail)
fit("EXPM1_H", mp.mpf(0), LN2, 10, lambda r, tail: r + tail)
fit("EXP_F", -LN2 / 2, LN2 / 2, 4, lambda r, tail: 1 + r + tail, single=True)
fit("EXPM1_F", mp.mpf(0), LN2, 5, lambda r, tail: r + tail, single=True)
