"""Planner invariants on random networks, for every planner."""

import nengo
import pytest
from hypothesis import HealthCheck, given, settings
from nengo.builder import Model
from nengo.utils.simulator import operator_dependency_graph

from nengo_graph_optimizer import PLANNERS, MergePolicy, build_plan

from .strategies import networks

POLICIES = {"never": MergePolicy.never(), "by_type": MergePolicy.by_type()}


def built_operators(net):
    model = Model(dt=0.001)
    model.build(net)
    return model.operators


@pytest.mark.parametrize("planner", sorted(PLANNERS))
@pytest.mark.parametrize("policy", sorted(POLICIES))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(net=networks())
def test_plans_schedule_every_operator_once_in_dependency_order(net, planner, policy):
    operators = built_operators(net)
    plan = build_plan(operators, POLICIES[policy], planner=planner, simplifications=())

    planned = plan.operators
    assert sorted(map(id, planned)) == sorted(map(id, operators))  # each exactly once

    position = {op: i for i, group in enumerate(plan.groups) for op in group}
    for op, successors in operator_dependency_graph(operators).items():
        for succ in successors:
            assert position[op] < position[succ], (op, succ)  # strictly earlier group

    for group in plan.groups:
        keys = {POLICIES[policy].key(op) for op in group}
        assert len(group) == 1 or (len(keys) == 1 and None not in keys)


@settings(max_examples=10, deadline=None)
@given(net=networks())
def test_layout_places_every_signal_once(net):
    operators = built_operators(net)
    plan = build_plan(operators, MergePolicy.by_type())
    bases = {sig.base for op in plan.operators for sig in op.all_signals}
    assert set(plan.layout.placement) == bases
    for array in plan.layout.arrays:
        ends = [o + s.size if not s.sparse else o for s, o in zip(array.signals, array.offsets)]
        assert list(array.offsets) == sorted(array.offsets)
        assert all(e <= n for e, n in zip(ends[:-1], array.offsets[1:]))


def test_cycles_are_build_errors():
    from nengo.builder.operator import Copy
    from nengo.builder.signal import Signal
    from nengo.exceptions import BuildError

    a, b = Signal([0.0], name="a"), Signal([0.0], name="b")
    ops = [Copy(a, b), Copy(b, a)]
    with pytest.raises(BuildError, match="cycle"):
        build_plan(ops, MergePolicy.never(), planner="greedy")


def test_greedy_merges_independent_same_type_operators():
    with nengo.Network(seed=0) as net:
        stim = nengo.Node([0.5])
        for _ in range(5):
            ens = nengo.Ensemble(10, 1)
            nengo.Connection(stim, ens)
    operators = built_operators(net)
    greedy = build_plan(operators, MergePolicy.by_type(), planner="greedy", simplifications=())
    noop = build_plan(operators, MergePolicy.by_type(), planner="noop", simplifications=())
    assert len(greedy.groups) < len(noop.groups) == len(operators)
    assert "operators in" in greedy.summary()
