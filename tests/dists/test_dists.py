"""Distributions: shapes, truncation limits, moments, validation, and use inside nengo."""

import numpy as np
import pytest
import nengo
from hypothesis import given, settings
from hypothesis import strategies as st
from nengo.exceptions import ValidationError

from nengo_dists import Glorot, He, TruncatedNormal, VarianceScaling


@settings(max_examples=30, deadline=None)
@given(
    mean=st.floats(-5, 5),
    stddev=st.floats(0.1, 3),
    limit_factor=st.floats(0.5, 3),
    n=st.integers(1, 50),
    d=st.one_of(st.none(), st.integers(1, 20)),
)
def test_truncated_normal_shape_and_limit(mean, stddev, limit_factor, n, d):
    dist = TruncatedNormal(mean=mean, stddev=stddev, limit=limit_factor * stddev)
    samples = dist.sample(n, d, rng=np.random.RandomState(0))
    assert samples.shape == ((n,) if d is None else (n, d))
    assert np.all(np.abs(samples - mean) <= dist.limit)


@settings(max_examples=20, deadline=None)
@given(mean=st.floats(-3, 3), stddev=st.floats(0.1, 2))
def test_truncated_normal_moments(mean, stddev):
    samples = TruncatedNormal(mean, stddev).sample(40000, rng=np.random.RandomState(1))
    assert abs(samples.mean() - mean) < 0.03 * stddev + 1e-9
    # a normal truncated at 2 sigma keeps 0.774 of its variance
    assert abs(samples.std() / stddev - np.sqrt(0.774)) < 0.03


@settings(max_examples=30, deadline=None)
@given(
    scale=st.floats(0.1, 4),
    mode=st.sampled_from(["fan_in", "fan_out", "fan_avg"]),
    distribution=st.sampled_from(["uniform", "normal"]),
    n=st.integers(50, 200),
    d=st.integers(50, 200),
)
def test_variance_scaling_moments(scale, mode, distribution, n, d):
    dist = VarianceScaling(scale, mode, distribution)
    samples = dist.sample(n, d, rng=np.random.RandomState(2))
    fan = {"fan_in": d, "fan_out": n, "fan_avg": (n + d) / 2}[mode]
    assert abs(samples.mean()) < 4 * np.sqrt(scale / fan / samples.size) + 1e-9
    assert abs(samples.var() / (scale / fan) - 1) < 0.1
    if distribution == "uniform":
        assert np.all(np.abs(samples) <= np.sqrt(3 * scale / fan))


def test_glorot_and_he_fans():
    assert Glorot().variance(10, 30) == pytest.approx(1 / 20)
    assert He().variance(10, 30) == pytest.approx(2 / 30)
    assert He(scale=2, distribution="uniform").distribution == "uniform"


@pytest.mark.parametrize(
    "make",
    [
        lambda: TruncatedNormal(stddev=-1),
        lambda: TruncatedNormal(limit=0),
        lambda: VarianceScaling(scale=0),
        lambda: VarianceScaling(mode="fan_sideways"),
        lambda: VarianceScaling(distribution="cauchy"),
    ],
)
def test_invalid_parameters(make):
    with pytest.raises(ValidationError):
        make()


def test_usable_in_nengo_models():
    with nengo.Network(seed=0) as net:
        a = nengo.Ensemble(20, 3, encoders=Glorot())
        b = nengo.Ensemble(10, 1)
        conn = nengo.Connection(a.neurons, b.neurons, transform=nengo.Dense((10, 20), init=He()))
    with nengo.Simulator(net, progress_bar=False) as sim:
        weights = sim.data[conn].weights
    assert weights.shape == (10, 20)
    assert abs(weights.var() - 2 / 20) < 0.05
