"""Hypothesis strategies: random nengo networks."""

import numpy as np
import nengo
from hypothesis import strategies as st

SYNAPSES = [None, 0.005, 0.02, nengo.Alpha(0.01)]
NEURONS = [nengo.LIF(), nengo.LIFRate(), nengo.RectifiedLinear(), nengo.SpikingRectifiedLinear()]


@st.composite
def networks(draw, max_ensembles=4, learning=True):
    """A random network of input nodes, ensembles (of several neuron types), passthrough nodes,
    connections with transforms, functions and synapses, optional learning, and probes."""
    seed = draw(st.integers(0, 2**16))
    rng = np.random.RandomState(seed)
    with nengo.Network(seed=seed) as net:
        objs = []
        for i in range(draw(st.integers(1, 2))):
            freq = draw(st.floats(1, 20))
            objs.append(nengo.Node(lambda t, f=freq, i=i: [np.sin(f * t + i), np.cos(f * t)]))
        ensembles = []
        for _ in range(draw(st.integers(1, max_ensembles))):
            dims = draw(st.integers(1, 2))
            ens = nengo.Ensemble(
                draw(st.integers(5, 30)), dims, neuron_type=draw(st.sampled_from(NEURONS))
            )
            ensembles.append(ens)
            objs.append(ens)
        if draw(st.booleans()):
            objs.append(nengo.Node(size_in=2))
        for _ in range(draw(st.integers(1, 6))):
            pre = draw(st.sampled_from(objs))
            post = draw(st.sampled_from([o for o in objs if o.size_in > 0]))
            kind = draw(st.sampled_from(["plain", "transform", "function", "neurons"]))
            synapse = draw(st.sampled_from(SYNAPSES))
            if synapse is None and not (isinstance(pre, nengo.Node) and pre.size_in == 0):
                synapse = 0.005  # no loop of unfiltered connections (nengo cannot build those)
            if (
                kind == "neurons"
                and isinstance(pre, nengo.Ensemble)
                and isinstance(post, nengo.Ensemble)
            ):
                transform = rng.randn(post.n_neurons, pre.n_neurons) * 0.01
                nengo.Connection(pre.neurons, post.neurons, transform=transform, synapse=synapse)
            elif kind == "function" and isinstance(pre, nengo.Ensemble):
                nengo.Connection(
                    pre,
                    post,
                    function=lambda x, d=post.size_in: np.tanh(np.sum(x)) * np.ones(d),
                    synapse=synapse,
                )
            else:
                transform = rng.randn(post.size_in, pre.size_out) * 0.5 if kind != "plain" else None
                if transform is None and pre.size_out != post.size_in:
                    transform = np.ones((post.size_in, pre.size_out)) * 0.5
                nengo.Connection(
                    pre, post, transform=1 if transform is None else transform, synapse=synapse
                )
        if learning and draw(st.booleans()) and len(ensembles) >= 2:
            conn = nengo.Connection(
                ensembles[0],
                ensembles[1],
                function=lambda x: np.zeros(ensembles[1].dimensions),
                learning_rule_type=nengo.PES(learning_rate=1e-3),
            )
            nengo.Connection(
                ensembles[1],
                conn.learning_rule,
                transform=np.eye(ensembles[1].dimensions) if ensembles[1].dimensions > 1 else 1,
            )
        for ens in ensembles:
            nengo.Probe(ens, synapse=0.01)
            nengo.Probe(ens.neurons)
    return net
