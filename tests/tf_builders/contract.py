"""The shared builder contract: several operators of one type, run by nengo-tf (with and
without a minibatch, merged and unmerged) must leave every signal exactly where nengo's reference
simulator leaves it, step after step."""

import numpy as np
import nengo
from nengo.builder import Model
from nengo.builder.operator import SimPyFunc
from nengo.builder.signal import Signal

import nengo_tf


def driven_signal(model, size, freq=3.0, phase=0.0, name="x"):
    """A signal that changes every step (so it is minibatched state, not a constant)."""
    sig = Signal(np.zeros(size), name=name)
    k = np.arange(1, size + 1)
    model.add_op(SimPyFunc(sig, lambda t, k=k: np.sin(freq * k * t + phase), t=model.time, x=None))
    return sig


def check_builder_contract(make_ops, n_steps=5, atol=1e-5, rtol=1e-4):
    """``make_ops(model)`` adds several operators of one type to ``model`` and returns the
    signals to compare. Checks simplified and merged runs (with and without a minibatch) and
    unsimplified, unmerged runs against nengo."""
    model = Model(dt=0.001)
    watched = make_ops(model)
    ref = nengo.Simulator(None, model=model, optimize=False, progress_bar=False)
    sims = [
        nengo_tf.Simulator(None, model=model, progress_bar=False),
        nengo_tf.Simulator(None, model=model, minibatch_size=3, progress_bar=False),
        nengo_tf.Simulator(None, model=model, optimize=False, progress_bar=False),
        nengo_tf.Simulator(None, model=model, minibatch_size=2, optimize=False, progress_bar=False),
    ]
    try:
        for _ in range(n_steps):
            ref.step()
            for sim in sims:
                sim.step()
            for sig in watched:
                expected = ref.signals[sig]
                for sim in sims:
                    actual = sim.signals[sig]
                    # signals the simplifications made constant have no minibatch axis
                    if sim.minibatch_size is not None and actual.shape != expected.shape:
                        assert actual.shape == (sim.minibatch_size,) + expected.shape
                        for element in actual:
                            np.testing.assert_allclose(element, expected, atol=atol, rtol=rtol)
                    else:
                        assert actual.shape == expected.shape, sig
                        np.testing.assert_allclose(actual, expected, atol=atol, rtol=rtol)
    finally:
        ref.close()
        for sim in sims:
            sim.close()
    return sims
