"""The response model and the weighted mean against statsmodels and a patient-level calculation."""

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

from analytics import weighting


def synthetic_invitations(seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for provider in (1, 2, 3):
        for band in ("0-49", "50-59", "60-69", "70-79", "80+"):
            for sex in ("female", "male"):
                for quintile in ("1", "2", "3", "4", "5", "unknown"):
                    invited = int(rng.integers(5, 40))
                    logit = -0.4 + 0.25 * int(quintile if quintile != "unknown" else 3)
                    logit += 0.3 * (provider == 2) + (0.2 if sex == "female" else 0)
                    p = 1 / (1 + math.exp(-logit))
                    rows.append(
                        {
                            "provider": provider,
                            "age_band": band,
                            "sex": sex,
                            "imd_quintile": quintile,
                            "invited": invited,
                            "responded": int(rng.binomial(invited, p)),
                        }
                    )
    return pd.DataFrame(rows)


def test_response_model_matches_a_binomial_glm_on_the_same_counts():
    frame = synthetic_invitations()
    patterns = frame[list(weighting.FACTORS)].to_dict("records")
    model = weighting.response_model_fit(
        patterns, list(frame.invited), list(frame.responded), ridge=0.0
    )
    glm = smf.glm(
        "responded + not_responded ~ C(provider) + C(age_band) + C(sex) + C(imd_quintile)",
        data=frame.assign(not_responded=frame.invited - frame.responded),
        family=sm.families.Binomial(),
    ).fit()
    fitted = glm.predict(frame)
    for pattern, expected in zip(patterns, fitted, strict=True):
        assert model.probability(pattern) == pytest.approx(expected, abs=1e-8)


def test_weighted_mean_and_se_match_the_patient_level_ratio_estimator():
    rng = np.random.default_rng(2)
    cells, values, weights = [], [], []
    for weight in (1.2, 2.5, 4.0):
        changes = rng.normal(10 * weight, 8, size=int(rng.integers(5, 30)))
        cells.append((weight, len(changes), changes.sum(), (changes**2).sum()))
        values += list(changes)
        weights += [weight] * len(changes)
    values, weights = np.array(values), np.array(weights)
    mean, se = weighting.weighted_mean(cells)
    expected = np.sum(weights * values) / weights.sum()
    variance = np.sum(weights**2 * (values - expected) ** 2) / weights.sum() ** 2
    assert mean == pytest.approx(expected, rel=1e-12)
    assert se == pytest.approx(math.sqrt(variance), rel=1e-9)


def test_no_invitations_fit_no_model():
    assert weighting.response_model_fit([], [], []) is None
