"""Distribution functions against scipy, computed independently inside each test."""

import pytest
from scipy import stats as sps

from outcomes import statistics as st


@pytest.mark.parametrize("df", [1, 2, 3, 4, 5, 7, 9, 10, 19, 29, 30, 49, 99, 500, 10_000])
@pytest.mark.parametrize("p", [0.001, 0.025, 0.05, 0.5, 0.9, 0.975, 0.995, 0.999])
def test_t_quantile_matches_scipy_to_1e9(p, df):
    assert st.t_quantile(p, df) == pytest.approx(sps.t.ppf(p, df), abs=1e-9, rel=1e-10)


def test_t_quantile_textbook_values():
    # Standard tables (e.g. Fisher & Yates): t_{0.975} for 1, 10 and 30 df.
    assert round(st.t_quantile(0.975, 1), 4) == 12.7062
    assert round(st.t_quantile(0.975, 10), 4) == 2.2281
    assert round(st.t_quantile(0.975, 30), 4) == 2.0423


@pytest.mark.parametrize("t", [-4.0, -1.3, 0.0, 0.7, 2.5])
@pytest.mark.parametrize("df", [1, 3, 12, 60])
def test_t_cdf_matches_scipy(t, df):
    assert st.t_cdf(t, df) == pytest.approx(sps.t.cdf(t, df), abs=1e-12)


@pytest.mark.parametrize("df", [2, 5, 20, 41])
@pytest.mark.parametrize("p", [0.025, 0.5, 0.975])
def test_chi2_quantile_matches_scipy(p, df):
    assert st.chi2_quantile(p, df) == pytest.approx(sps.chi2.ppf(p, df), rel=1e-9)


def test_z_constants():
    assert abs(st.Z95 - sps.norm.ppf(0.975)) < 1e-12
    assert abs(st.Z998 - sps.norm.ppf(0.999)) < 1e-12


def test_t_quantile_rejects_probabilities_outside_zero_one():
    with pytest.raises(ValueError):
        st.t_quantile(1.0, 5)
