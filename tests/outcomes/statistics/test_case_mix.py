"""The case-mix model against statsmodels OLS fitted on the same patients."""

from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from outcomes import statistics as st

FACTORS = ("age_band", "male", "imd_quintile")


@pytest.fixture
def patients():
    rng = np.random.default_rng(2026)
    n = 400
    frame = pd.DataFrame(
        {
            "provider": rng.choice(["A", "B", "C", "D"], size=n),
            "age_band": rng.choice(["<50", "50-59", "60-69", "70-79", "80+"], size=n),
            "male": rng.choice(["0", "1"], size=n),
            "imd_quintile": rng.choice(["1", "2", "3", "4", "5"], size=n),
            "baseline": rng.integers(0, 49, size=n).astype(float),
        }
    )
    effect = frame["provider"].map({"A": 0.0, "B": 2.0, "C": -3.0, "D": 1.0})
    frame["follow_up"] = (
        8 + 0.6 * frame["baseline"] + 1.5 * frame["imd_quintile"].astype(int) + effect
    ) + rng.normal(0, 6, size=n)
    return frame


def cells_of(frame):
    cells = defaultdict(st.CellSums)
    for row in frame.itertuples():
        key = (row.provider, row.age_band, row.male, row.imd_quintile)
        cells[key].add(st.CellSums.of([(row.baseline, row.follow_up)]))
    return [
        ({"provider": k[0], "age_band": k[1], "male": k[2], "imd_quintile": k[3]}, cell)
        for k, cell in cells.items()
    ]


def reference_fit(frame):
    return smf.ols(
        "follow_up ~ baseline + C(age_band, Treatment('50-59')) + C(male) + C(imd_quintile)",
        data=frame,
    ).fit()


def test_fit_from_cell_sums_reproduces_statsmodels_ols(patients):
    model = st.case_mix_fit(cells_of(patients), FACTORS)
    reference = reference_fit(patients)
    # Reference levels: first in sorted order ("50-59" sorts before "60-69" ... "<50", "80+").
    assert model.n == len(patients)
    assert model.coefficients[-1] == pytest.approx(reference.params["baseline"], abs=1e-9)
    assert model.residual_sd == pytest.approx(np.sqrt(reference.mse_resid), abs=1e-9)
    predictions = [
        model.predict(
            {"age_band": r.age_band, "male": r.male, "imd_quintile": r.imd_quintile}, r.baseline
        )
        for r in patients.itertuples()
    ]
    assert predictions == pytest.approx(list(reference.fittedvalues), abs=1e-8)


def test_adjusted_change_is_national_mean_plus_observed_minus_expected(patients):
    cells = cells_of(patients)
    model = st.case_mix_fit(cells, FACTORS)
    reference = reference_fit(patients)
    frame = patients.assign(predicted=reference.fittedvalues)
    national_change = (patients.follow_up - patients.baseline).mean()
    for provider, group in frame.groupby("provider"):
        adjusted = st.case_mix_adjust(
            model, [(c, s) for c, s in cells if c["provider"] == provider]
        )
        o, e = group.follow_up.mean(), group.predicted.mean()
        assert adjusted.n == len(group)
        assert adjusted.observed == pytest.approx(o, abs=1e-9)
        assert adjusted.expected == pytest.approx(e, abs=1e-8)
        assert adjusted.adjusted_change == pytest.approx(national_change + o - e, abs=1e-8)
        assert adjusted.adjusted_follow_up == pytest.approx(patients.follow_up.mean() + o - e)


def test_whole_population_adjusted_change_equals_crude(patients):
    # With an intercept OLS residuals sum to zero, so nationally O - E = 0 (methods §2).
    cells = cells_of(patients)
    model = st.case_mix_fit(cells, FACTORS)
    adjusted = st.case_mix_adjust(model, cells)
    assert adjusted.adjusted_change == pytest.approx(model.mean_change, abs=1e-9)


def test_modelling_change_instead_of_follow_up_gives_same_residuals(patients):
    follow = reference_fit(patients)
    change = smf.ols(
        "I(follow_up - baseline) ~ baseline + C(age_band, Treatment('50-59')) + C(male)"
        " + C(imd_quintile)",
        data=patients,
    ).fit()
    assert np.allclose(follow.resid, change.resid)
    assert change.params["baseline"] == pytest.approx(follow.params["baseline"] - 1)


def test_absent_levels_get_no_column():
    cells = [
        ({"sex": "f"}, st.CellSums.of([(10, 12), (11, 15), (20, 21)])),
        ({"sex": "m"}, st.CellSums.of([(12, 14), (30, 29)])),
    ]
    model = st.case_mix_fit(cells, ("sex",))
    assert model.columns == ("intercept", "sex=m", "baseline")
