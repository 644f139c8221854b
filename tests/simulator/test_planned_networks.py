"""nengo-tf matches nengo.Simulator on random networks for every planner (hypothesis)."""

import numpy as np
import pytest
import nengo
from hypothesis import HealthCheck, given, settings

import nengo_tf
from nengo_graph_optimizer import PLANNERS

from ..graph_optimizer.strategies import networks


@pytest.mark.parametrize("planner", sorted(PLANNERS))
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(net=networks(learning=False))
def test_random_networks_match_nengo(net, planner):
    with net:
        nengo_tf.configure_settings(planner=planner)
    with nengo.Simulator(net, progress_bar=False) as ref:
        ref.run_steps(30)
    with nengo_tf.Simulator(net, dtype="float64", progress_bar=False) as sim:
        sim.run_steps(30)
    for probe in net.all_probes:
        np.testing.assert_allclose(sim.data[probe], ref.data[probe], atol=1e-6, rtol=1e-6)
