"""Every builder passes the shared contract (see contract.py) before its numeric tests."""

import numpy as np
import pytest
import nengo
import scipy.sparse
from nengo.builder.learning_rules import SimBCM, SimOja, SimPES, SimRLS, SimVoja
from nengo.builder.neurons import SimNeurons
from nengo.builder.operator import (
    BsrDotInc,
    Copy,
    DotInc,
    ElementwiseInc,
    Reset,
    SimPyFunc,
    SparseDotInc,
)
from nengo.builder.processes import SimProcess
from nengo.builder.signal import Signal
from nengo.builder.transforms import ConvInc, ConvTransposeInc

from .contract import check_builder_contract, driven_signal


def test_reset():
    def make(model):
        outs = [Signal(np.ones(n), name=f"y{n}") for n in (1, 3, 4)]
        for i, y in enumerate(outs):
            model.add_op(Reset(y, value=i - 0.5))
        return outs

    check_builder_contract(make)


@pytest.mark.parametrize("inc", [False, True])
def test_copy(inc):
    def make(model):
        x = driven_signal(model, 6)
        ys = [Signal(np.zeros(n), name=f"y{n}") for n in (6, 3, 2)]
        model.add_op(Copy(x, ys[0], inc=inc))
        model.add_op(Copy(x, ys[1], src_slice=slice(1, 4), inc=inc))
        model.add_op(Copy(x, ys[2], src_slice=[5, 0], dst_slice=[1, 0], inc=inc))
        if inc:
            repeated = Signal(np.zeros(2), name="repeated")
            model.add_op(Copy(x, repeated, src_slice=[0, 1, 2], dst_slice=[0, 0, 1], inc=True))
            ys.append(repeated)
        return ys

    check_builder_contract(make)


def test_elementwise_inc():
    def make(model):
        x = driven_signal(model, 4)
        ys = [Signal(np.zeros(4), name=f"y{i}") for i in range(4)]
        model.add_op(ElementwiseInc(Signal(np.array([2.0])), x, ys[0]))  # scalar gain
        model.add_op(ElementwiseInc(Signal(np.arange(4.0)), x, ys[1]))  # per element
        model.add_op(ElementwiseInc(x, x, ys[2]))  # both change every step
        model.add_op(ElementwiseInc(Signal(np.array([-3.0])), x, ys[3]))  # merges with the first
        model.add_op(ElementwiseInc(Signal(np.array([0.5])), x, ys[0]))  # a second increment
        return ys

    sims = check_builder_contract(make)
    assert any(len(g) > 1 for g in sims[0].plan.groups if isinstance(g[0], ElementwiseInc))


def test_dot_inc(rng):
    def make(model):
        x = driven_signal(model, 5)
        w = driven_signal(model, 15, name="w").reshape((3, 5))  # weights that change (learning)
        ys = [Signal(np.zeros(n), name=f"y{i}") for i, n in enumerate((3, 2, 3, 3))]
        model.add_op(DotInc(Signal(rng.randn(3, 5)), x, ys[0]))
        model.add_op(DotInc(Signal(rng.randn(2, 5)), x, ys[1]))
        model.add_op(DotInc(w, x, ys[2]))
        model.add_op(DotInc(Signal(rng.randn(3, 5)), x, ys[3]))  # merges with the first
        model.add_op(DotInc(Signal(rng.randn(3, 5)), x, ys[0]))  # a second increment of y0
        return ys

    sims = check_builder_contract(make)
    assert any(len(g) == 3 for g in sims[0].plan.groups if isinstance(g[0], DotInc))


def test_sparse_dot_inc(rng):
    def make(model):
        x = driven_signal(model, 6)
        ys = [Signal(np.zeros(n), name=f"y{n}") for n in (4, 3)]
        for y in ys:
            dense = rng.randn(y.size, 6) * (rng.rand(y.size, 6) < 0.4)
            model.add_op(SparseDotInc(Signal(scipy.sparse.csr_matrix(dense)), x, y))
        return ys

    check_builder_contract(make)


def test_bsr_dot_inc(rng):
    def make(model):
        x = driven_signal(model, 6)  # 3 column blocks of 2
        y = Signal(np.zeros(4), name="y")  # 2 row blocks of 2
        indices, indptr = np.array([0, 2, 1]), np.array([0, 2, 3])
        model.add_op(BsrDotInc(Signal(rng.randn(3, 2, 2)), x, y, indices, indptr, reshape=False))
        return [y]

    check_builder_contract(make)


NEURON_TYPES = [
    nengo.LIF(),
    nengo.LIF(tau_rc=0.03, min_voltage=-0.5, amplitude=0.5),
    nengo.LIFRate(),
    nengo.RectifiedLinear(amplitude=2),
    nengo.SpikingRectifiedLinear(),
    nengo.Sigmoid(),
    nengo.Tanh(),
    nengo.AdaptiveLIF(tau_n=0.05, inc_n=0.1),
    nengo.AdaptiveLIFRate(tau_n=0.05, inc_n=0.1),
    nengo.Izhikevich(),
    nengo.Izhikevich(reset_voltage=-55, reset_recovery=4),
    nengo.RegularSpiking(nengo.LIFRate()),  # (as a wrapper it receives rates as its input)
]


@pytest.mark.parametrize("neuron_type", NEURON_TYPES, ids=lambda n: repr(n))
def test_sim_neurons(neuron_type):
    def make(model):
        watched = []
        for i, n in enumerate((3, 5, 2)):
            J = Signal(np.zeros(n), name=f"J{i}")
            # currents that cross threshold: 50 * (1 + sin) spans 0..100
            model.add_op(Reset(J, value=0))
            x = driven_signal(model, n, freq=40.0, phase=i, name=f"x{i}")
            model.add_op(ElementwiseInc(Signal(np.array([50.0])), x, J))
            model.add_op(Copy(Signal(np.full(n, 50.0)), J, inc=True))
            out = Signal(np.zeros(n), name=f"out{i}")
            state = neuron_type.make_state(n, rng=np.random.RandomState(i))
            state = {k: Signal(v, name=f"{k}{i}") for k, v in state.items()}
            model.add_op(SimNeurons(neuron_type, J, out, state=state))
            watched += [out] + list(state.values())
        return watched

    check_builder_contract(make, n_steps=30)


SYNAPSES = [
    nengo.Lowpass(0.005),
    nengo.Lowpass(0),
    nengo.Alpha(0.004),
    nengo.LinearFilter([1, 2], [1, 3, 2]),  # general: state and passthrough
    nengo.LinearFilter([0.5], [1], analog=False),  # no state
    nengo.synapses.Triangle(0.003),  # not a LinearFilter: NumPy step
]


@pytest.mark.parametrize("synapse", SYNAPSES, ids=lambda s: repr(s))
@pytest.mark.parametrize("mode", ["set", "inc", "update"])
def test_sim_process(synapse, mode):
    def make(model):
        watched = []
        for i, shape in enumerate([(3,), (2,), (2, 2), (3,)]):  # the last merges
            x = driven_signal(model, int(np.prod(shape)), phase=i, name=f"x{i}").reshape(shape)
            y = Signal(np.zeros(shape), name=f"y{i}")
            state = synapse.make_state(shape, shape, model.dt)
            state = {k: Signal(v, name=f"{k}{i}") for k, v in state.items()}
            model.add_op(SimProcess(synapse, x, y, model.time, mode=mode, state=state))
            watched += [y] + list(state.values())
        return watched

    check_builder_contract(make, n_steps=8)


def test_sim_pyfunc():
    def make(model):
        x = driven_signal(model, 3)
        ys = [Signal(np.zeros(2), name="y0"), Signal(np.zeros(3), name="y1")]
        model.add_op(SimPyFunc(ys[0], lambda t, x: [t * x.sum(), x[0] ** 2], model.time, x))
        model.add_op(SimPyFunc(ys[1], lambda x: -x, None, x))
        return ys

    check_builder_contract(make)


def _rls_gamma(n):
    g = np.eye(n) * 2.0 + 0.1
    return (g + g.T) / 2


LEARNING_RULES = {
    "PES": lambda m, pre, post, W, d: SimPES(pre, post, d, learning_rate=1e-2),
    "BCM": lambda m, pre, post, W, d: SimBCM(pre, post, driven_signal(m, 3, name="theta"), d, 1e-2),
    "Oja": lambda m, pre, post, W, d: SimOja(pre, post, W, d, learning_rate=1e-2, beta=0.5),
    "Voja": lambda m, pre, post, W, d: SimVoja(
        driven_signal(m, 4, name="pre_decoded"),
        post,
        W,
        d,
        scale=np.arange(1.0, 4.0),
        learning_signal=driven_signal(m, 1, name="signal"),
        learning_rate=1e-2,
    ),
    "RLS": lambda m, pre, post, W, d: SimRLS(pre, post, d, Signal(_rls_gamma(4), name="P")),
}


@pytest.mark.parametrize("rule", sorted(LEARNING_RULES))
def test_learning_rules(rule):
    def make(model):
        watched = []
        for i in range(2):
            pre = driven_signal(model, 4, phase=i, name=f"pre{i}")
            post = driven_signal(model, 3, freq=5.0, phase=i, name=f"post{i}")
            weights = driven_signal(model, 12, freq=2.0, name=f"W{i}").reshape((3, 4))
            delta = Signal(np.zeros((3, 4)), name=f"delta{i}")
            op = LEARNING_RULES[rule](model, pre, post, weights, delta)
            model.add_op(op)
            watched += [delta] + [s for s in op.updates if s is not delta]
        return watched

    check_builder_contract(make)


CONVOLUTIONS = {
    "2d-last": lambda: nengo.Convolution(4, (5, 5, 2), kernel_size=(3, 3), padding="same"),
    "2d-first-strided": lambda: nengo.Convolution(
        3, (2, 6, 6), kernel_size=(3, 3), strides=(2, 2), channels_last=False
    ),
    "2d-groups": lambda: nengo.Convolution(4, (5, 5, 4), kernel_size=(3, 3), groups=2),
    "1d": lambda: nengo.Convolution(3, (8, 2), kernel_size=(3,), strides=(1,), padding="same"),
    "transpose-2d": lambda: nengo.ConvolutionTranspose(
        3, (4, 4, 2), kernel_size=(3, 3), strides=(2, 2)
    ),
    "transpose-1d-first": lambda: nengo.ConvolutionTranspose(
        2, (3, 5), kernel_size=(2,), strides=(1,), channels_last=False
    ),
}


@pytest.mark.parametrize("name", sorted(CONVOLUTIONS))
def test_convolution(name, rng):
    def make(model):
        watched = []
        for i in range(2):
            conv = CONVOLUTIONS[name]()
            x = driven_signal(model, conv.size_in, phase=i, name=f"x{i}")
            y = Signal(np.zeros(conv.size_out), name=f"y{i}")
            W = Signal(conv.sample(rng=rng), name=f"W{i}")
            op_type = ConvTransposeInc if isinstance(conv, nengo.ConvolutionTranspose) else ConvInc
            model.add_op(op_type(W, x, y, conv))
            watched.append(y)
        return watched

    check_builder_contract(make)


def test_unsupported_convolution_is_a_build_error_that_says_what_to_do(rng):
    import nengo_tf
    from nengo.builder import Model
    from nengo.exceptions import BuildError

    conv = nengo.Convolution(2, (4, 4, 4, 1), kernel_size=(3, 3, 3), strides=(1, 1, 1))
    model = Model(dt=0.001)
    x = Signal(np.zeros(conv.size_in), name="x")
    y = Signal(np.zeros(conv.size_out), name="y")
    model.add_op(ConvInc(Signal(conv.sample(rng=rng)), x, y, conv))
    with pytest.raises(BuildError, match="3-D convolutions are unsupported.*Conv3D"):
        nengo_tf.Simulator(None, model=model, progress_bar=False)
