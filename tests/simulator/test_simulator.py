"""The Simulator API: shapes, minibatching, exact step counts, determinism, resets, lifecycle."""

import importlib.metadata
import pickle

import numpy as np
import pytest
import nengo
import tensorflow as tf
from nengo.exceptions import ReadonlyError, SimulatorClosed, ValidationError

import nengo_tf


def waves(t):
    return [np.sin(10 * t), np.cos(7 * t)]


def product(x):
    return x[0] * x[1]


def make_net(seed=0):
    with nengo.Network(seed=seed) as net:
        net.stim = nengo.Node(waves)
        net.ens = nengo.Ensemble(60, 2)
        net.out = nengo.Node(size_in=1)
        nengo.Connection(net.stim, net.ens)
        nengo.Connection(net.ens, net.out, function=product, synapse=0.01)
        net.p_out = nengo.Probe(net.out)
        net.p_spikes = nengo.Probe(net.ens.neurons)
        net.p_sampled = nengo.Probe(net.ens, synapse=0.01, sample_every=0.003)
    return net


def test_probe_shapes_without_and_with_minibatch():
    net = make_net()
    with nengo_tf.Simulator(net, progress_bar=False) as sim:
        sim.run_steps(30)
        assert sim.data[net.p_out].shape == (30, 1)
        assert sim.data[net.p_spikes].shape == (30, 60)
        assert sim.data[net.p_sampled].shape == (10, 2)
        assert sim.n_steps == 30 and np.isclose(sim.time, 0.03)
        assert np.allclose(sim.trange(), 0.001 * np.arange(1, 31))
        assert np.allclose(sim.trange(sample_every=0.003), 0.003 * np.arange(1, 11))
    with nengo_tf.Simulator(net, minibatch_size=4, progress_bar=False) as sim:
        sim.run_steps(30)
        assert sim.data[net.p_out].shape == (4, 30, 1)
        assert sim.data[net.p_sampled].shape == (4, 10, 2)


def test_each_minibatch_element_equals_a_batch_one_run():
    net = make_net()
    data = np.random.RandomState(0).uniform(-1, 1, size=(3, 40, 2))
    with nengo_tf.Simulator(net, minibatch_size=3, progress_bar=False) as sim:
        sim.run_steps(40, data={net.stim: data})
        batched = sim.data[net.p_out]
    for b in range(3):
        with nengo_tf.Simulator(net, minibatch_size=1, progress_bar=False) as sim:
            sim.run_steps(40, data={net.stim: data[b : b + 1]})
            np.testing.assert_allclose(sim.data[net.p_out][0], batched[b], atol=1e-6)
    assert not np.allclose(batched[0], batched[1])


@pytest.mark.parametrize("unroll", [None, 1, 3, 8])
@pytest.mark.parametrize("callback", [False, True])
def test_run_steps_is_exact_whatever_the_unroll(unroll, callback):
    net = make_net()
    with net:
        nengo_tf.configure_settings(xla=True)  # not auto: the process may have compiled many
    if callback:  # a Python node in the middle: the loop runs XLA segments around it
        with net:
            doubled = nengo.Node(lambda t, x: 2 * x, size_in=1)
            nengo.Connection(net.out, doubled, synapse=None)
            after = nengo.Ensemble(40, 1)
            nengo.Connection(doubled, after)
            probe = nengo.Probe(after, synapse=0.01)
    with nengo.Simulator(net, progress_bar=False) as ref:
        ref.run_steps(17)
    with nengo_tf.Simulator(net, unroll_simulation=unroll, progress_bar=False) as sim:
        assert sim._loop.segmented == callback
        for n in (7, 1, 9):  # 7 + 1 + 9 = 17, none a multiple of every unroll
            sim.run_steps(n)
        assert sim.n_steps == 17
        assert sim.data[net.p_out].shape == (17, 1)
        np.testing.assert_allclose(sim.data[net.p_out], ref.data[net.p_out], atol=1e-4)
        if callback:
            np.testing.assert_allclose(sim.data[probe], ref.data[probe], atol=1e-4)


def test_same_seed_same_data_and_reset_repeats():
    with nengo.Network(seed=3) as net:
        stim = nengo.Node(nengo.processes.WhiteNoise())
        ens = nengo.Ensemble(30, 1, noise=nengo.processes.WhiteNoise(nengo.dists.Gaussian(0, 0.1)))
        nengo.Connection(stim, ens)
        probe = nengo.Probe(ens, synapse=0.01)
    runs = []
    for _ in range(2):
        with nengo_tf.Simulator(net, seed=5, progress_bar=False) as sim:
            sim.run_steps(50)
            runs.append(sim.data[probe].copy())
            sim.reset()
            assert sim.n_steps == 0 and len(sim.data[probe]) == 0
            sim.run_steps(50)
            np.testing.assert_array_equal(sim.data[probe], runs[-1])
            sim.reset(seed=6)
            sim.run_steps(50)
            assert not np.allclose(sim.data[probe], runs[-1])
    np.testing.assert_array_equal(runs[0], runs[1])


def test_soft_reset_keeps_probe_data_unless_asked():
    net = make_net()
    with nengo_tf.Simulator(net, progress_bar=False) as sim:
        sim.run_steps(10)
        first = sim.data[net.p_out].copy()
        sim.soft_reset()
        assert sim.n_steps == 0
        assert len(sim.data[net.p_out]) == 10
        sim.run_steps(10)
        np.testing.assert_array_equal(sim.data[net.p_out][10:], first)
        sim.soft_reset(include_probes=True)
        assert len(sim.data[net.p_out]) == 0


def test_data_replaces_input_node_output():
    net = make_net()
    values = np.full((25, 2), 0.5)
    with nengo_tf.Simulator(net, progress_bar=False) as sim:
        sim.run_steps(25, data={net.stim: values})
        fed = sim.data[net.p_out].copy()
    with nengo.Network(seed=0) as const_net:
        stim = nengo.Node([0.5, 0.5])
        ens = nengo.Ensemble(60, 2)
        out = nengo.Node(size_in=1)
        nengo.Connection(stim, ens)
        nengo.Connection(ens, out, function=lambda x: x[0] * x[1], synapse=0.01)
        probe = nengo.Probe(out)
    with nengo.Simulator(const_net, progress_bar=False) as ref:
        ref.run_steps(25)
    np.testing.assert_allclose(fed, ref.data[probe], atol=1e-4)


def test_constant_node_can_be_fed():
    with nengo.Network() as net:
        stim = nengo.Node([1.0, 2.0])
        probe = nengo.Probe(stim)
    with nengo_tf.Simulator(net, minibatch_size=2, progress_bar=False) as sim:
        sim.run_steps(3)
        assert np.all(sim.data[probe] == [1.0, 2.0])
        sim.run_steps(2, data={stim: np.ones((2, 2, 2)) * [[[3.0]], [[4.0]]]})
        assert np.all(sim.data[probe][0, 3:] == 3.0) and np.all(sim.data[probe][1, 3:] == 4.0)


def test_bad_data_is_rejected_with_names_and_shapes():
    net = make_net()
    with nengo_tf.Simulator(net, minibatch_size=2, progress_bar=False) as sim:
        with pytest.raises(ValidationError, match=r"expected \(2, 10, 2\)"):
            sim.run_steps(10, data={net.stim: np.zeros((2, 9, 2))})
        with pytest.raises(ValidationError, match="not an input node"):
            sim.run_steps(10, data={net.out: np.zeros((2, 10, 1))})
        with pytest.raises(ValidationError, match="NaN"):
            sim.run_steps(10, data={net.stim: np.full((2, 10, 2), np.nan)})
        assert sim.n_steps == 0


@pytest.mark.parametrize("bad", [-0.1, np.nan, np.inf])
def test_bad_run_times(bad):
    with nengo_tf.Simulator(make_net(), progress_bar=False) as sim:
        with pytest.raises(ValidationError, match="time_in_seconds"):
            sim.run(bad)
        with pytest.raises(ValidationError, match="n_steps"):
            sim.run_steps(-1)


def test_bad_constructor_arguments():
    net = make_net()
    with pytest.raises(ValidationError, match="unroll_simulation"):
        nengo_tf.Simulator(net, unroll_simulation=0)
    with pytest.raises(ValidationError, match="minibatch_size"):
        nengo_tf.Simulator(net, minibatch_size=0)
    with pytest.raises(ValidationError, match="dtype"):
        nengo_tf.Simulator(net, dtype="int32")


def test_closed_simulator_refuses_everything():
    sim = nengo_tf.Simulator(make_net(), progress_bar=False)
    sim.close()
    sim.close()  # idempotent
    for action in (lambda: sim.run(0.01), sim.step, lambda: sim.run_steps(1), sim.reset):
        with pytest.raises(SimulatorClosed):
            action()


def test_dt_is_readonly():
    with nengo_tf.Simulator(make_net(), dt=0.002, progress_bar=False) as sim:
        assert sim.dt == 0.002
        with pytest.raises(ReadonlyError):
            sim.dt = 0.001


def test_dtype():
    """Replaces nengo's test_dtype: precision comes from the dtype argument."""
    for dtype in ("float32", "float64"):
        net = make_net()
        with nengo_tf.Simulator(net, dtype=dtype, progress_bar=False) as sim:
            sim.step()
            assert sim.data[net.p_out].dtype == dtype
            for sig, value in sim.signals.items():
                if sig.dtype.kind == "f" and sig is not sim.model.time:
                    assert value.dtype == dtype, sig
            assert sim.signals[sim.model.time].dtype == np.float64


def test_callback_errors_keep_their_type():
    class Boom(Exception):
        pass

    def explode(t, x):
        raise Boom(f"at t={t}")

    with nengo.Network() as net:
        stim = nengo.Node([1.0])
        sink = nengo.Node(explode, size_in=1, size_out=1)
        nengo.Connection(stim, sink)
    with nengo_tf.Simulator(net, progress_bar=False) as sim:
        with pytest.raises(Boom, match="at t=0.001"):
            sim.step()
        assert sim.n_steps == 0


def test_pickled_simulator_continues_identically():
    net = make_net()
    with nengo_tf.Simulator(net, minibatch_size=2, unroll_simulation=2, progress_bar=False) as sim:
        sim.run_steps(15)
        restored = pickle.loads(pickle.dumps(sim))
        sim.run_steps(15)
        expected = sim.data[net.p_out]
    with restored:
        assert restored.n_steps == 15 and restored.unroll == 2
        restored.run_steps(15)
        probe = next(p for p in restored.model.probes if p.target is not None and p.size_in == 1)
        np.testing.assert_allclose(restored.data[probe], expected, atol=1e-6)


def test_registered_as_nengo_backend():
    backends = importlib.metadata.entry_points(group="nengo.backends")
    assert any(ep.name == "tf" and ep.load() is nengo_tf.Simulator for ep in backends)


def test_planner_setting():
    net = make_net()
    with net:
        nengo_tf.configure_settings(planner="noop")
    with nengo_tf.Simulator(net, progress_bar=False) as sim:
        assert all(len(group) == 1 for group in sim.plan.groups)
    with pytest.raises(ValidationError, match="Unknown nengo-tf setting"):
        with net:
            nengo_tf.configure_settings(planer="noop")


def test_xla_setting_gives_the_same_results():
    with nengo.Network(seed=0) as no_callbacks:  # XLA needs a model without Python callbacks
        stim = nengo.Node(lambda t: [np.sin(10 * t), -0.2])
        ens = nengo.Ensemble(40, 2)
        nengo.Connection(stim, ens)
        probe = nengo.Probe(ens, synapse=0.01)
        sampled = nengo.Probe(ens.neurons, sample_every=0.007)
    results = []
    for xla in (False, True):
        with no_callbacks:
            nengo_tf.configure_settings(xla=xla)
        with nengo_tf.Simulator(no_callbacks, unroll_simulation=3, progress_bar=False) as sim:
            assert sim._loop.jit_compile == xla
            # runs longer than one compiled chunk, with remainders, and single steps
            for n_steps in (20, 2 * sim._loop.chunk + 5 if xla else 517, 1, 1):
                sim.run_steps(n_steps)
            results.append((sim.data[probe], sim.data[sampled]))
    np.testing.assert_allclose(results[0][0], results[1][0], atol=1e-5)
    assert results[0][0].shape == (539, 2)
    assert results[0][1].shape == results[1][1].shape == (539 // 7, 40)
    # spikes are 1/dt: allow the rare one moved by float32 rounding
    assert np.mean(results[0][1] != results[1][1]) < 1e-3


def test_large_probes_get_shorter_compiled_chunks(monkeypatch):
    from nengo_tf import loop

    with nengo.Network(seed=0) as net:
        stim = nengo.Node(lambda t: [np.sin(10 * t)])
        ens = nengo.Ensemble(50, 1)
        nengo.Connection(stim, ens)
        probe = nengo.Probe(ens.neurons)
    with nengo.Simulator(net, progress_bar=False) as ref:
        ref.run_steps(40)
    # a probe buffer of 7 steps: 50 neurons x 2 minibatch elements x 4 bytes each
    monkeypatch.setattr(loop, "CHUNK_PROBE_BYTES", 7 * 50 * 2 * 4)
    with nengo_tf.Simulator(net, minibatch_size=2, progress_bar=False) as sim:
        assert sim._loop.chunk == 7
        sim.run_steps(30)  # four chunks and a remainder of 2
        sim.run_steps(10)
    assert sim.data[probe].shape == (2, 40, 50)
    for element in sim.data[probe]:  # spikes are 1/dt: allow the rare one moved by rounding
        assert np.mean(np.abs(element - ref.data[probe]) > 1) < 1e-3


def test_xla_is_auto_until_the_process_has_compiled_many(monkeypatch):
    from nengo_tf import loop

    with nengo.Network(seed=0) as net:
        nengo.Probe(nengo.Ensemble(10, 1))
    monkeypatch.setattr(loop, "_xla_compilations", 0)  # as in a new process
    with nengo_tf.Simulator(net, progress_bar=False) as sim:
        assert sim._loop.jit_compile
        sim.run_steps(1)
    assert loop._xla_compilations == 1
    monkeypatch.setattr(loop, "_xla_compilations", loop.AUTO_XLA_LIMIT)
    monkeypatch.setattr(loop, "_warned_of_limit", False)
    with pytest.warns(UserWarning, match="new simulators run without XLA"):
        with nengo_tf.Simulator(net, progress_bar=False) as sim:
            assert not sim._loop.jit_compile
    with net:
        nengo_tf.configure_settings(xla=True)  # explicit: always
    with nengo_tf.Simulator(net, progress_bar=False) as sim:
        assert sim._loop.jit_compile


def test_models_xla_cannot_compile_run_without_it():
    with nengo.Network(seed=0) as net:
        nengo_tf.configure_settings(xla=True)  # not auto: the process may have compiled many
        ens = nengo.Ensemble(20, 1, neuron_type=nengo.PoissonSpiking(nengo.LIFRate()))
        nengo.Probe(ens)
    with nengo_tf.Simulator(net, progress_bar=False) as sim:
        # no XLA kernel for Poisson sampling: that group steps outside XLA
        assert not sim._loop.jit_compile and sim._loop.segmented
        sim.run_steps(5)

    with nengo.Network(seed=0) as net:
        nengo_tf.configure_settings(xla=True)
        stim = nengo.Node([0.5])
        # a TensorNode whose TensorFlow code XLA rejects only when compiling
        node = nengo_tf.TensorNode(
            lambda t, x: tf.reshape(tf.numpy_function(lambda v: 2 * v, [x], tf.float32), (1, 1)),
            size_in=1,
            size_out=1,
            label="numpy inside",
        )
        nengo.Connection(stim, node, synapse=None)
        probe = nengo.Probe(node)
    with nengo_tf.Simulator(net, progress_bar=False) as sim:
        with pytest.warns(UserWarning, match="XLA cannot compile this model"):
            sim.run_steps(3)
        assert not sim._loop.jit_compile
        sim.run_steps(2)
    np.testing.assert_allclose(sim.data[probe], 1.0)


def test_each_minibatch_element_learns_its_own_weights():
    with nengo.Network(seed=4) as net:
        stim = nengo.Node(np.zeros(1))
        pre = nengo.Ensemble(40, 1)
        post = nengo.Node(size_in=1)
        nengo.Connection(stim, pre)
        conn = nengo.Connection(
            pre, post, function=lambda x: 0, learning_rule_type=nengo.PES(learning_rate=1e-3)
        )
        nengo.Connection(post, conn.learning_rule)
        nengo.Connection(stim, conn.learning_rule, transform=-1)  # learn post = stim
        probe = nengo.Probe(post, synapse=0.01)
    data = np.stack([np.full((200, 1), 0.5), np.full((200, 1), -0.5)])
    with nengo_tf.Simulator(net, minibatch_size=2, progress_bar=False) as sim:
        sim.run_steps(200, data={stim: data})
        batched = sim.data[probe]
    assert batched[0, -1, 0] > 0.3 and batched[1, -1, 0] < -0.3  # each learned its own target
    for b in range(2):
        with nengo_tf.Simulator(net, minibatch_size=1, progress_bar=False) as sim:
            sim.run_steps(200, data={stim: data[b : b + 1]})
            np.testing.assert_allclose(sim.data[probe][0], batched[b], atol=1e-5)


def test_profile_and_group_timings(tmp_path):
    net = make_net()
    with nengo_tf.Simulator(net, progress_bar=False) as sim:
        sim.run_steps(5, profile=str(tmp_path / "profile"))
        assert any((tmp_path / "profile").rglob("*.xplane.pb"))
        report = sim.group_timings(repeats=3)
    assert f"{len(sim.plan.groups)} groups" in report
    assert "SimNeurons" in report and "by operator type" in report
