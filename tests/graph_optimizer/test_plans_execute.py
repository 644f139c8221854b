"""Executing a Plan (with the NumPy executor) gives nengo.Simulator's probe data, for every
planner and every simplification pass, on random networks."""

import numpy as np
import pytest
import nengo
from hypothesis import HealthCheck, assume, given, settings
from nengo.builder import Model

from nengo_graph_optimizer import (
    PLANNERS,
    SIMPLIFICATIONS,
    MergePolicy,
    NumpyPlanExecutor,
    build_plan,
)

from .strategies import networks

PASS_SETS = {"none": (), "all": tuple(SIMPLIFICATIONS)}
PASS_SETS.update({name: (name,) for name in SIMPLIFICATIONS})


@pytest.mark.parametrize("passes", sorted(PASS_SETS))
@pytest.mark.parametrize("planner", sorted(PLANNERS))
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(net=networks())
def test_executed_plan_matches_nengo(net, planner, passes):
    with nengo.Simulator(net, optimize=False, progress_bar=False) as ref:
        try:
            ref.run_steps(30)
        except FloatingPointError:
            # random recurrent weights with learning can blow up in nengo itself: nothing to
            # compare against
            assume(False)
    model = Model(dt=0.001)
    model.build(net)
    plan = build_plan(model.operators, MergePolicy.by_type(), planner, PASS_SETS[passes])
    data = NumpyPlanExecutor(plan, model).run_steps(30)
    for probe in net.all_probes:
        np.testing.assert_allclose(data[probe], ref.data[probe], atol=1e-9, rtol=1e-9)


def test_simplifications_remove_operators():
    with nengo.Network(seed=0) as net:
        stim = nengo.Node([0.5, -0.5])
        ens = nengo.networks.EnsembleArray(10, 2)
        nengo.Connection(stim, ens.input)
        nengo.Probe(ens.output, synapse=0.01)
    model = Model(dt=0.001)
    model.build(net)
    plain = build_plan(model.operators, MergePolicy.by_type(), simplifications=())
    simple = build_plan(model.operators, MergePolicy.by_type())
    assert len(simple.operators) < len(plain.operators)
    names = {type(op).__name__ for op in simple.operators}
    assert "DotSet" in names or "ElementwiseSet" in names  # reset + increment became a set
