#!/usr/bin/env python3
"""Fits the polynomial coefficients used by VectorMath.java (the LLVM backend's vector math).

Each approximation is a polynomial in t (the reduced argument, or its square) fitted with the
Remez exchange algorithm in 60-digit arithmetic (mpmath), minimizing the largest relative error.
The coefficients are then rounded to the target precision; the script prints them as Java array
literals with the error of the fit before and after rounding (VectorMathTest measures the error of
the whole function as compiled).

    python3 targets/llvm/tools/fit_vector_math.py
"""
import struct
import sys

import mpmath as mp

mp.mp.dps = 60


def to_f32(x):
    return struct.unpack('f', struct.pack('f', float(x)))[0]


def rounder(bits):
    return (lambda x: mp.mpf(to_f32(x))) if bits == 32 else (lambda x: mp.mpf(float(x)))


def solve_remez(target, weight, basis, a, b, iterations=40, grid=4000):
    """Minimax fit of target(x) by sum c_k basis[k](x) on [a, b] with error weight(x)."""
    n = len(basis)
    m = n + 1
    xs = [(a + b) / 2 - (b - a) / 2 * mp.cos(mp.pi * i / (m - 1)) for i in range(m)]
    pts = [(a + b) / 2 - (b - a) / 2 * mp.cos(mp.pi * i / (grid - 1)) for i in range(grid)]
    fv = [target(x) for x in pts]
    wv = [weight(x) for x in pts]
    bv = [[phi(x) for phi in basis] for x in pts]
    coeffs, best = None, None
    for _ in range(iterations):
        A = mp.matrix(m, m)
        rhs = mp.matrix(m, 1)
        for i, x in enumerate(xs):
            for k in range(n):
                A[i, k] = basis[k](x)
            A[i, n] = (-1) ** i / weight(x)
            rhs[i] = target(x)
        sol = mp.lu_solve(A, rhs)
        coeffs = [sol[k] for k in range(n)]
        err = [wv[j] * (fv[j] - sum(coeffs[k] * bv[j][k] for k in range(n))) for j in range(grid)]
        best = max(abs(e) for e in err)
        # Local extrema of the error, alternating in sign.
        ext = []
        for j in range(grid):
            left = err[j - 1] if j > 0 else None
            right = err[j + 1] if j + 1 < grid else None
            e = err[j]
            if (left is None or abs(e) >= abs(left)) and (right is None or abs(e) >= abs(right)):
                ext.append(j)
        alt = []
        for j in ext:
            if alt and (err[alt[-1]] >= 0) == (err[j] >= 0):
                if abs(err[j]) > abs(err[alt[-1]]):
                    alt[-1] = j
            else:
                alt.append(j)
        while len(alt) > m:
            if abs(err[alt[0]]) < abs(err[alt[-1]]):
                alt.pop(0)
            else:
                alt.pop()
        if len(alt) < m:
            break
        new = [pts[j] for j in alt]
        if all(abs(u - v) < (b - a) * mp.mpf(10) ** -30 for u, v in zip(new, xs)):
            break
        xs = new
    return coeffs, best


def fit(name, target, weight, powers, var, a, b, bits, final):
    """Minimax sum c_k var(x)^powers[k] ~ target(x) on [a, b]; returns the coefficients rounded to `bits`.

    final = (approx, exact): approx(x, p) is the function value the polynomial value p gives, exact(x)
    the true one; the printed error is the largest relative error of approx over [a, b] with the
    rounded coefficients (in exact arithmetic: the approximation error, not the rounding of the
    evaluation)."""
    basis = [(lambda p: (lambda x: var(x) ** p))(p) for p in powers]
    coeffs, _ = solve_remez(target, weight, basis, a, b)
    rnd = rounder(bits)
    approx, exact = final

    def worst(cs):
        grid = 20000
        w = mp.mpf(0)
        for i in range(grid):
            x = a + (b - a) * i / (grid - 1)
            t = var(x)
            p = sum(c * t ** q for c, q in zip(cs, powers))
            y = exact(x)
            if y != 0:
                w = max(w, abs((approx(x, p) - y) / y))
        return w

    fixed = [rnd(c) for c in coeffs]
    log2 = lambda v: mp.nstr(mp.log(v, 2), 4) if v > 0 else '-inf'
    print(f'// {name}: {len(fixed)} coefficients on [{mp.nstr(a, 6)}, {mp.nstr(b, 6)}], max relative error of the function '
          f'2^{log2(worst(coeffs))} (exact coefficients), 2^{log2(worst(fixed))} (rounded to f{bits})')
    suffix = 'f' if bits == 32 else ''
    print('{' + ', '.join(repr(to_f32(c) if bits == 32 else float(c)) + suffix for c in fixed) + '}')
    return fixed


def series_safe(f, limit):
    return lambda x: limit(x) if abs(x) < mp.mpf(10) ** -25 else f(x)


ident = lambda x: x
square = lambda x: x * x
rel = lambda F: (lambda x: 1 / abs(F(x)))

# exp(r) = 1 + r + r^2 P(r), |r| <= ln2/2.
F_exp = series_safe(lambda r: (mp.exp(r) - 1 - r) / r ** 2, lambda r: mp.mpf(1) / 2 + r / 6)
# log(1 + f) = f - f^2/2 + f^3 P(f), f in [sqrt(1/2) - 1, sqrt(2) - 1]  (f32, no division).
F_log32 = series_safe(lambda f: (mp.log1p(f) - f + f * f / 2) / f ** 3, lambda f: mp.mpf(1) / 3 - f / 4)
# log(1 + f) = 2s + s R(s^2), s = f / (2 + f): R(z) = z Q(z), Q(z) = (2 atanh(s)/s - 2) / z.
F_log64 = series_safe(lambda z: (2 * mp.atanh(mp.sqrt(z)) / mp.sqrt(z) - 2) / z, lambda z: mp.mpf(2) / 3 + 2 * z / 5)
# tanh(x) = x + x^3 P(x^2) for |x| < TANH_SMALL.
F_tanh = series_safe(lambda x: (mp.tanh(x) - x) / x ** 3, lambda x: -mp.mpf(1) / 3 + 2 * x * x / 15)
# erf(x) = x + x P(x^2) for |x| < ERF_SMALL (the leading 1 is exact, so rounding P's constant costs little).
F_erf = series_safe(lambda x: mp.erf(x) / x - 1, lambda x: 2 / mp.sqrt(mp.pi) - 1)
# erfc(x) = exp(-x^2) G(x) beyond.
G_erfc = lambda x: mp.erfc(x) * mp.exp(x * x)

def erfc_t(center):
    """The erfc variable t = 2 / (2 + |x|), shifted by the center of its interval."""
    return lambda x: 2 / (2 + x) - center


def erfc_fit(name, a, b, n, bits):
    center = (2 / (2 + mp.mpf(a)) + 2 / (2 + mp.mpf(b))) / 2
    print(f'// {name}: t center {float(center)!r}')
    # erf = 1 - exp(-x^2) G: an error e in G moves erf by erfc * e, relative erfc / erf * e.
    weight = lambda x: mp.erfc(x) / mp.erf(x) / G_erfc(x)
    final = (lambda x, p: 1 - mp.exp(-x * x) * p, mp.erf)
    return fit(name, G_erfc, weight, range(n), erfc_t(center), mp.mpf(a), mp.mpf(b), bits, final)


def split_ln2(bits, zero_bits):
    """ln 2 = hi + lo with the low `zero_bits` of hi's significand zero, so n * hi is exact for |n| < 2^zero_bits."""
    ln2 = mp.log(2)
    mant = 24 if bits == 32 else 53
    e = mp.floor(mp.log(ln2, 2))
    scale = mp.mpf(2) ** (mant - 1 - e - zero_bits)
    hi = mp.floor(ln2 * scale) / scale
    lo = rounder(bits)(ln2 - hi)
    print(f'// ln2 split for f{bits}: hi = {float(hi)!r}, lo = {float(lo)!r}')


if __name__ == '__main__':
    what = sys.argv[1] if len(sys.argv) > 1 else 'all'
    ln2h = mp.log(2) / 2
    s2 = mp.sqrt(2)
    exp_final = (lambda r, p: 1 + r + r * r * p, mp.exp)
    if what in ('all', 'exp'):
        split_ln2(32, 8)
        split_ln2(64, 11)
        fit('exp f32', F_exp, rel(F_exp), range(5), ident, -ln2h, ln2h, 32, exp_final)
        fit('exp f64', F_exp, rel(F_exp), range(10), ident, -ln2h, ln2h, 64, exp_final)
    if what in ('all', 'log'):
        fit('log f32', F_log32, rel(F_log32), range(9), ident, mp.sqrt(mp.mpf(1) / 2) - 1, s2 - 1, 32,
            (lambda f, p: f - f * f / 2 + f ** 3 * p, mp.log1p))
        smax = (s2 - 1) / (s2 + 1)
        fit('log f64', F_log64, rel(F_log64), range(7), ident, mp.mpf(0), smax ** 2, 64,
            (lambda z, p: 2 * mp.sqrt(z) + mp.sqrt(z) * z * p, lambda z: 2 * mp.atanh(mp.sqrt(z))))
    if what in ('all', 'tanh'):
        tanh_final = (lambda x, p: x + x ** 3 * p, mp.tanh)
        fit('tanh f32', F_tanh, rel(F_tanh), range(6), square, mp.mpf(0), mp.mpf(0.625), 32, tanh_final)
        fit('tanh f64', F_tanh, rel(F_tanh), range(12), square, mp.mpf(0), mp.mpf(0.5625), 64, tanh_final)
    if what in ('all', 'erf'):
        erf_final = (lambda x, p: x + x * p, mp.erf)
        erf_weight = lambda x: 1 / (F_erf(x) + 1)
        fit('erf f32 small', F_erf, erf_weight, range(7), square, mp.mpf(0), mp.mpf(1), 32, erf_final)
        erfc_fit('erfc f32 [1, 4]', 1, 4, 8, 32)
        fit('erf f64 small', F_erf, erf_weight, range(15), square, mp.mpf(0), mp.mpf(1.25), 64, erf_final)
        erfc_fit('erfc f64 [1.25, 2.75]', 1.25, 2.75, 12, 64)
        erfc_fit('erfc f64 [2.75, 6]', 2.75, 6, 12, 64)
