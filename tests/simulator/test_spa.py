"""Models built with nengo_spa run in nengo-tf and match nengo.Simulator."""

import numpy as np
import pytest
import nengo

import nengo_tf

spa = pytest.importorskip("nengo_spa")


def test_spa_binding_and_state():
    dimensions = 16
    vocab = spa.Vocabulary(dimensions, pointer_gen=np.random.RandomState(1))
    vocab.populate("A; B; C")
    with spa.Network(seed=2) as net:
        a = spa.Transcode("A", output_vocab=vocab)
        b = spa.Transcode("B", output_vocab=vocab)
        bound = spa.State(vocab, subdimensions=4)
        a * b >> bound
        probe = nengo.Probe(bound.output, synapse=0.02)
    with nengo.Simulator(net, progress_bar=False) as ref:
        ref.run(0.2)
    with nengo_tf.Simulator(net, progress_bar=False) as sim:
        sim.run(0.2)
    target = vocab.parse("A * B").v
    similarity = np.dot(sim.data[probe][-1], target) / np.linalg.norm(target)
    assert similarity > 0.5
    assert np.max(np.abs(sim.data[probe] - ref.data[probe])) < 0.05
