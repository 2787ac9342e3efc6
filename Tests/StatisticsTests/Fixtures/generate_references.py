"""Writes references.json: independent reference values for Tests/StatisticsTests.

Run from anywhere with the project's Python (scipy 1.17):
    python3 Tests/StatisticsTests/Fixtures/generate_references.py

Sources of truth, none of which shares code with Sources/Analysis/Statistics:
- scipy.stats: norm.ppf, t.ppf, t.cdf, binom.cdf, binom.pmf, binomtest (exact McNemar),
  spearmanr, t.interval (Student-t interval for a mean);
- fractions.Fraction: exact rational binomial tails for small n;
- Newcombe (1998, Stat Med 17:2635, method 10) written out here from the paper's formula, with
  plain Python floats; the correlation correction as in Fagerland, Lydersen & Laake,
  "Statistical Analysis of Contingency Tables" (2017), ch. 8 (their R package contingencytables).
"""
import json
import math
import os
from fractions import Fraction

import numpy as np
import scipy
from scipy import stats

out = {"generator": "generate_references.py", "scipy": scipy.__version__, "numpy": np.__version__}

normal_ps = [1e-300, 1e-12, 1e-6, 0.001, 0.01, 0.02425, 0.025, 0.1, 0.3, 0.5, 0.7, 0.9, 0.975,
             0.99, 0.999999]
out["normalQuantile"] = [[p, float(stats.norm.ppf(p))] for p in normal_ps]

t_ps = [1e-10, 1e-6, 0.001, 0.025, 0.05, 0.1, 0.4, 0.6, 0.9, 0.95, 0.975, 0.995, 0.9995]
t_dfs = [1, 2, 3, 4, 5, 7, 10, 19, 30, 99, 1000, 100000]
out["studentTQuantile"] = [[p, df, float(stats.t.ppf(p, df))] for df in t_dfs for p in t_ps]
t_values = [-40.0, -5.0, -2.0, -0.5, 0.0, 0.3, 1.5, 3.0, 12.0]
out["studentTCDF"] = [[t, df, float(stats.t.cdf(t, df))] for df in t_dfs for t in t_values]

binomial_cases = [
    (0, 1, 0.5), (3, 10, 0.5), (5, 10, 0.5), (7, 10, 0.3), (0, 20, 0.01), (19, 20, 0.99),
    (12, 50, 0.2), (40, 50, 0.2), (450, 1000, 0.5), (520, 1000, 0.5), (30, 1000, 0.02),
    (480, 1000, 0.5), (499_000, 1_000_000, 0.5), (500_000, 1_000_000, 0.5),
    (501_200, 1_000_000, 0.5), (9_800, 1_000_000, 0.01), (10_150, 1_000_000, 0.01),
    (2, 1_000_000, 1e-6), (123, 1000, 0.123456),
]
out["binomialCDF"] = [[k, n, p, float(stats.binom.cdf(k, n, p))] for k, n, p in binomial_cases]
out["binomialProbability"] = [[k, n, p, float(stats.binom.pmf(k, n, p))] for k, n, p in binomial_cases]

# Exact rational tails: P(X <= k) = sum C(n, i) p^i (1 - p)^(n - i), p a fraction.
exact = []
for n, p in [(7, Fraction(1, 3)), (25, Fraction(1, 2)), (40, Fraction(1, 10)), (33, Fraction(7, 9))]:
    for k in range(0, n + 1, max(1, n // 8)):
        tail = sum(Fraction(math.comb(n, i)) * p**i * (1 - p) ** (n - i) for i in range(k + 1))
        exact.append([k, n, float(p), float(tail)])
out["binomialCDFExact"] = exact

# Exact McNemar: two-sided binomial test on the discordant pairs (b, c), p = 1/2.
mcnemar_cases = [(0, 1), (0, 5), (1, 9), (3, 3), (4, 7), (10, 25), (25, 10), (100, 140),
                 (2000, 2100), (0, 60)]
out["mcNemar"] = [[b, c, float(stats.binomtest(min(b, c), b + c, 0.5).pvalue)] for b, c in mcnemar_cases]


def wilson(x, n, z):
    p = x / n
    d = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / d
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe(e, f, g, h, confidence=0.95):
    """Newcombe (1998) method 10 for p1 - p2, p1 = (e+f)/n, p2 = (e+g)/n (e: both 'positive')."""
    z = float(stats.norm.ppf((1 + confidence) / 2))
    n = e + f + g + h
    p1, p2 = (e + f) / n, (e + g) / n
    l1, u1 = wilson(e + f, n, z)
    l2, u2 = wilson(e + g, n, z)
    margins = (e + f) * (g + h) * (e + g) * (f + h)
    a = e * h - f * g
    if margins == 0:
        phi = 0.0
    elif a > n / 2:
        phi = (a - n / 2) / math.sqrt(margins)
    elif a >= 0:
        phi = 0.0
    else:
        phi = a / math.sqrt(margins)
    d = p1 - p2
    lower = d - math.sqrt((p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2)
    upper = d + math.sqrt((u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2)
    return d, lower, upper


# Tables as (both positive, first only, second only, both negative). (36, 12, 2, 0) is
# Newcombe's first example; (1, 1, 7, 12) and (59, 6, 16, 80) are the examples of Fagerland et al.
tables = [(36, 12, 2, 0), (1, 1, 7, 12), (59, 6, 16, 80), (5, 5, 0, 0), (6, 2, 1, 3),
          (20, 6, 4, 970), (18, 30, 2, 950), (0, 0, 0, 10), (10, 0, 0, 0), (3, 0, 0, 7),
          (0, 4, 6, 0), (120, 8, 30, 842)]
out["newcombe"] = [[*t, *newcombe(*t)] for t in tables]
out["newcombe90"] = [[*t, *newcombe(*t, confidence=0.90)] for t in tables[:4]]

rng = np.random.default_rng(20261201)
spearman = []
for a, b in [
    ([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]),
    ([10, 30, 20, 20, 40, 40, 40], [1, 3, 2, 2, 5, 4, 4]),
    ([0.5, 0.1, 0.9, 0.3], [3, 2, 1, 0]),
]:
    spearman.append({"a": [float(x) for x in a], "b": [float(x) for x in b],
                     "rho": float(stats.spearmanr(a, b).statistic)})
a = rng.integers(0, 6, 40).astype(float)
b = a + rng.integers(0, 4, 40)
spearman.append({"a": a.tolist(), "b": b.tolist(), "rho": float(stats.spearmanr(a, b).statistic)})
out["spearman"] = spearman

means = []
for values, confidence in [
    ([0.021, 0.034, 0.018, 0.052, 0.029], 0.95),
    ([1.0, 2.0], 0.95),
    (rng.normal(0.2, 0.05, 30).tolist(), 0.95),
    (rng.normal(-3, 10, 7).tolist(), 0.99),
    ([4.0, 4.0, 4.0, 5.0], 0.9),
]:
    v = np.array(values)
    sem = stats.sem(v)
    lower, upper = stats.t.interval(confidence, len(v) - 1, loc=v.mean(), scale=sem)
    means.append({"values": [float(x) for x in v], "confidence": confidence, "mean": float(v.mean()),
                  "standardDeviation": float(v.std(ddof=1)), "lower": float(lower), "upper": float(upper)})
out["meanInterval"] = means

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "references.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
print("wrote", path)
