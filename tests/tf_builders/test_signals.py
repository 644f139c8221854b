"""Reads and writes choose slices where the layout allows it, and gathers otherwise."""

import numpy as np
import nengo
import tensorflow as tf
from nengo.builder.signal import Signal
from nengo_graph_optimizer import make_layout

from nengo_tf_builders import ArraySpec, SignalAccess


def _access(signals, written=()):
    layout = make_layout(
        [], signals, lambda base: ("float32", base in written), lambda b: b in written
    )
    arrays = {
        a.name: ArraySpec(a.name, tf.float32, a.signal_class[1], a.size) for a in layout.arrays
    }
    return layout, SignalAccess(layout, arrays, minibatch_size=2)


def test_views_read_their_elements():
    base = Signal(np.arange(12.0).reshape(3, 4), name="base")
    layout, access = _access([base])
    state = {a.name: tf.constant(a.initial_value(), tf.float32) for a in layout.arrays}
    views = [base[1], base[:, 2], base[1:, 1:3], base.reshape(12)[::5]]
    for view in views:
        expected = base.initial_value[...]
        value = access.read(state, access[view]).numpy()
        np.testing.assert_array_equal(value, np.asarray(view.initial_value), err_msg=str(view))
    assert expected.shape == (3, 4)


def test_contiguous_reads_are_slices_and_others_gathers():
    base = Signal(np.arange(10.0), name="base")
    layout, access = _access([base])
    state = {a.name: tf.constant(a.initial_value(), tf.float32) for a in layout.arrays}
    access.read(state, access[base[2:5]])
    assert access.counts["read_slice"] == 1
    access.read(state, access[base[::2]])
    assert access.counts["read_gather"] == 1
    access.read(state, access[base])
    assert access.counts["read_whole"] == 1


def test_writes_replace_whole_arrays_slice_large_blocks_and_scatter_small_ones():
    a = Signal(np.zeros(10), name="a")
    layout, access = _access([a], written={a})
    name = layout.arrays[0].name
    state = {name: tf.zeros((10, 2))}
    access.write(state, access[a], tf.ones((10, 2)))
    assert access.counts["write_whole"] == 1
    access.write(state, access[a[1:]], tf.ones((9, 2)), inc=True)
    assert access.counts["write_slice"] == 1
    access.write(state, access[a[2:4]], tf.ones((2, 2)), inc=True)
    assert access.counts["write_scatter"] == 1
    expected = np.array([1, 2, 3, 3] + [2] * 6, dtype=float)[:, None].repeat(2, axis=1)
    np.testing.assert_array_equal(state[name].numpy(), expected)


def test_merged_groups_read_one_contiguous_block():
    with nengo.Network(seed=0) as net:
        stim = nengo.Node([0.3, -0.2])
        ensembles = [nengo.Ensemble(20, 1) for _ in range(4)]
        for i, ens in enumerate(ensembles):
            nengo.Connection(stim[i % 2], ens)
            nengo.Probe(ens.neurons)
    import nengo_tf

    with nengo_tf.Simulator(net, progress_bar=False) as sim:
        neuron_groups = [g for g in sim.plan.groups if type(g[0]).__name__ == "SimNeurons"]
        assert len(neuron_groups) == 1 and len(neuron_groups[0]) == 4
        builder = next(b for b in sim._builders if b.ops == neuron_groups[0])
        assert len(builder.J.segments) == 1 and builder.J.segments[0].slice is not None
