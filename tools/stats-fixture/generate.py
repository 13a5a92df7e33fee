"""Reference figures for cohort-stats, computed independently with scipy and statsmodels.

    pip install scipy statsmodels
    python generate.py > ../../stats/tests/fixtures/reference.json

Seeded, so a rerun writes the same file.
"""
import json
import random

import numpy as np
from scipy import stats
from statsmodels.stats.proportion import (confint_proportions_2indep, proportion_confint,
                                          proportions_ztest)

rng = random.Random(4)
comparisons = []
for _ in range(200):
    n_c = rng.choice([20, 100, 1000, 5000, 50000])
    n_t = max(1, int(n_c * rng.uniform(0.7, 1.3)))
    rate = rng.uniform(0.01, 0.6)
    x_c = sum(rng.random() < rate for _ in range(n_c)) if n_c <= 5000 else int(n_c * rate)
    lift = rng.uniform(-0.3, 0.3)
    x_t = min(n_t, max(1, int(n_t * rate * (1 + lift))))
    x_c = max(1, x_c)
    z, p = proportions_ztest([x_t, x_c], [n_t, n_c])
    lo, hi = confint_proportions_2indep(x_t, n_t, x_c, n_c, method="wald", compare="diff")
    rlo, rhi = confint_proportions_2indep(x_t, n_t, x_c, n_c, method="log", compare="ratio")
    plo, phi = proportion_confint(x_t, n_t, alpha=0.05, method="normal")
    comparisons.append({
        "treatment": [x_t, n_t], "control": [x_c, n_c],
        "treatment_rate_ci": [max(0.0, float(plo)), min(1.0, float(phi))],
        "z": float(z), "p_value": float(p),
        "absolute_ci": [float(lo), float(hi)],
        "relative_lift": (x_t / n_t) / (x_c / n_c) - 1,
        "relative_ci": [float(rlo) - 1, float(rhi) - 1],
    })

sample_ratios = []
for _ in range(100):
    k = rng.randint(2, 5)
    weights = [rng.randint(1, 10) for _ in range(k)]
    total = rng.choice([100, 1000, 20000])
    shares = np.array(weights) / sum(weights)
    observed = [int(total * s * rng.uniform(0.9, 1.1)) + 1 for s in shares]
    expected = np.array(shares) * sum(observed)
    chi2, p = stats.chisquare(observed, expected)
    sample_ratios.append({"observed": observed, "weights": weights,
                          "statistic": float(chi2), "p_value": float(p)})

print(json.dumps({"source": "scipy " + __import__("scipy").__version__ + ", statsmodels "
                  + __import__("statsmodels").__version__,
                  "comparisons": comparisons, "sample_ratios": sample_ratios}, indent=1))
