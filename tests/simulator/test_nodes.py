import numpy as np
import nengo

import nengo_tf


def test_node_args_float64():
    """Replaces nengo's test_node.py::test_args, which needs float64 signals."""
    calls = []

    def fn(t, x):
        assert isinstance(t, float)
        assert isinstance(x, np.ndarray) and x.base is None
        assert x[0] == t
        calls.append(t)

    with nengo.Network() as net:
        u = nengo.Node(lambda t: t)
        v = nengo.Node(fn, size_in=1, size_out=0)
        nengo.Connection(u, v, synapse=None)
    with nengo_tf.Simulator(net, dtype="float64", progress_bar=False) as sim:
        sim.run(0.01)
    assert len(calls) == 10


def test_nodes_with_input_run_once_per_step_and_element():
    calls = []
    with nengo.Network() as net:
        stim = nengo.Node([1.0])
        node = nengo.Node(lambda t, x: calls.append(t) or 2 * x, size_in=1, size_out=1)
        nengo.Connection(stim, node, synapse=None)
        probe = nengo.Probe(node)
    with nengo_tf.Simulator(net, minibatch_size=2, unroll_simulation=4, progress_bar=False) as sim:
        sim.run_steps(5)
    assert len(calls) == 10
    assert np.allclose(sim.data[probe], 2.0)


def test_unconnected_node_is_still_called():
    calls = []
    with nengo.Network() as net:
        nengo.Node(lambda t: calls.append(t), size_out=0)
    with nengo_tf.Simulator(net, progress_bar=False) as sim:
        sim.run_steps(7)
    assert np.allclose(calls, 0.001 * np.arange(1, 8))
