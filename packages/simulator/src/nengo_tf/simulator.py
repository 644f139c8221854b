"""``nengo_tf.Simulator``: nengo's builder, our planner, TensorFlow execution."""

import contextlib
import warnings

import nengo
import numpy as np
import tensorflow as tf
from nengo.builder import Model
from nengo.builder.processes import SimProcess
from nengo.cache import get_default_decoder_cache
from nengo.exceptions import ReadonlyError, SimulationError, SimulatorClosed, ValidationError
from nengo.utils.graphs import toposort
from nengo.utils.progress import Progress, ProgressTracker
from nengo.utils.simulator import operator_dependency_graph
from nengo_graph_optimizer import MergePolicy, build_plan
from nengo_tensor_layers import TensorNodeModelBuilder
from nengo_tensor_layers import register_builders as register_tensor_node_builders
from nengo_tf_builders import BuildConfig, SignalAccess, default_registry

from .gradients import check_gradients
from .inputs import InputFeeds
from .loop import SimulationLoop, use_xla
from .params import format_params, freeze, load_params, nengo_params, save_params
from .probes import ProbeRecorder, SimulationData
from .profiling import Profile, format_group_timings, group_timings
from .settings import get_setting
from .storage import SignalValues, Storage, signal_classes
from .trainable import find_parameters, object_paths
from .training import Trainer

MAX_SEED = np.iinfo(np.int32).max


def _merge_policy(registry, dt) -> MergePolicy:
    """Operators merge when one builder class builds them and it allows it (the optimizer adds
    the condition that their signals are stored alike)."""

    def key(op):
        builder = registry.lookup(op)
        builder_key = builder.merge_key(op, dt)
        return None if builder_key is None else (builder, builder_key)

    return MergePolicy(key)


class Simulator:
    """Simulate a nengo network with TensorFlow.

    Parameters
    ----------
    network : nengo.Network or None
        The network to simulate (may be None if ``model`` is given).
    dt : float
        Timestep, in seconds.
    seed : int, optional
        Seed for stochastic operators (noise, processes). Defaults to ``network.seed + 1``, as in
        nengo, or a random seed.
    model : nengo.builder.Model, optional
        A pre-built model (the network, if any, is built into it).
    dtype : "float32" or "float64"
        Precision of all float signals.
    device : str, optional
        TensorFlow device for the simulation (e.g. ``"/cpu:0"``, ``"/gpu:0"``).
    unroll_simulation : int, optional
        Timesteps per iteration of the simulation loop when it is not compiled whole with XLA,
        and of training passes (faster runs, slower build). None (the default): 10 where
        Python callbacks split the step into XLA-compiled segments (1.5-3x faster there), 1
        elsewhere. A run compiled whole with XLA (the default, see `configure_settings`) ignores
        it: XLA's own loop is faster. Runs always advance exactly the number of steps asked for.
    minibatch_size : int, optional
        Number of independent copies simulated at once. With None, probe data have nengo's shape
        ``(n_steps, d)``; otherwise ``(minibatch_size, n_steps, d)``.
    progress_bar : bool or nengo.utils.progress.ProgressBar
        Show nengo's progress bar while building and running.
    optimize : bool
        Plan with merging (the ``planner`` setting, greedy by default); False plans one operator
        per group, in nengo's order (for debugging).
    tensorboard : str, optional
        A folder: training (``fit``, ``train``) writes its losses, per probe, and the graph there
        for TensorBoard (one ``run_<n>`` subfolder per call).

    Training (``compile``/``fit``/``evaluate``/``predict``, or ``train``/``loss``) changes the
    trainable parameters (see ``configure_settings(trainable=...)``) and never the simulation's
    state: every example runs from the initial state, and spiking neurons train through their
    rate versions. ``save_params``/``load_params`` keep the trained values in ``.npz`` files.
    """

    def __init__(
        self,
        network,
        dt=0.001,
        seed=None,
        model=None,
        dtype="float32",
        device=None,
        unroll_simulation=None,
        minibatch_size=None,
        progress_bar=True,
        optimize=True,
        tensorboard=None,
    ):
        self.closed = True  # until construction succeeds
        self.optimize = optimize
        self.tensorboard = None if tensorboard is None else str(tensorboard)
        if self.tensorboard is not None:
            try:
                import tensorboard as _  # noqa: F401  (tf.summary needs it to write)
            except ImportError as e:
                raise ValidationError(
                    f"tensorboard={tensorboard!r} needs the tensorboard package: "
                    "pip install nengo-tf[tensorboard]",
                    attr="tensorboard",
                ) from e
        self._trainer = None
        if unroll_simulation is not None and not (
            isinstance(unroll_simulation, (int, np.integer)) and unroll_simulation >= 1
        ):
            raise ValidationError(
                f"Must be None or an integer >= 1; got unroll_simulation={unroll_simulation!r}",
                attr="unroll_simulation",
            )
        if minibatch_size is not None and not (
            isinstance(minibatch_size, (int, np.integer)) and minibatch_size >= 1
        ):
            raise ValidationError(
                f"Must be None or an integer >= 1; got minibatch_size={minibatch_size!r}",
                attr="minibatch_size",
            )
        if str(dtype) not in ("float32", "float64"):
            raise ValidationError(f"Must be float32 or float64; got dtype={dtype!r}", attr="dtype")
        self.progress_bar = progress_bar
        self.unroll = None if unroll_simulation is None else int(unroll_simulation)
        self.minibatch_size = minibatch_size
        self.dtype = tf.as_dtype(str(dtype))
        self.device = device

        if model is None:
            model = Model(
                dt=float(dt),
                label=f"{network}, dt={dt:f}",
                decoder_cache=get_default_decoder_cache(),
                builder=TensorNodeModelBuilder(),
            )
        elif network is not None and model.dt != dt:
            warnings.warn(f"Model dt ({model.dt}) does not match Simulator dt ({dt})")
        self.model = model
        if network is not None:
            with ProgressTracker(progress_bar, Progress("Building", "Build")) as tracker:
                self.model.build(network, progress=tracker.next_stage("Building", "Build"))

        with self._device():
            self._build(network)

        if seed is None:
            if network is not None and network.seed is not None:
                seed = network.seed + 1
            else:
                seed = np.random.randint(MAX_SEED)
        self.seed = seed
        self.closed = False
        self.reset(seed=seed)

    # ---- construction ----

    def _device(self):
        return tf.device(self.device) if self.device else contextlib.nullcontext()

    def _build(self, network):
        model = self.model
        batch = self.minibatch_size or 1
        # nengo draws each process's random seed in its step order; we replay that order
        self._process_order = [
            op
            for op in toposort(operator_dependency_graph(model.operators))
            if isinstance(op, SimProcess)
        ]
        self._feeds = InputFeeds(model, model.operators, batch, self.dtype.as_numpy_dtype)
        registry = default_registry()
        register_tensor_node_builders(registry)
        probe_signals = [model.sig[p]["in"] for p in model.probes]
        settings_net = network or model.toplevel
        self._inference_only = bool(get_setting(settings_net, "inference_only"))
        self._parameters = [] if self._inference_only else find_parameters(model, settings_net)
        trainable = frozenset(p.signal for p in self._parameters)
        self.plan = build_plan(
            self._feeds.operators,
            _merge_policy(registry, model.dt),
            planner=get_setting(settings_net, "planner") if self.optimize else "noop",
            simplifications=get_setting(settings_net, "simplifications") if self.optimize else (),
            protected=trainable,  # simplifications must not fold parameters into constants
            signal_class=signal_classes(self.dtype, model.time, trainable),
            # every signal stays inspectable (sim.signals) even if simplification removed its ops
            extra_signals=probe_signals
            + [sig for op in self._feeds.operators for sig in op.all_signals],
        )
        self._storage = Storage(self.plan.layout, batch)
        self._access = SignalAccess(self.plan.layout, self._storage.specs, batch)
        self.signals = SignalValues(
            self._access, self._storage, squeeze_batch=self.minibatch_size is None
        )
        self._batch = batch
        self._config = BuildConfig(
            dt=model.dt,
            dtype=self.dtype,
            minibatch_size=batch,
            lif_smoothing=get_setting(settings_net, "lif_smoothing"),
        )
        self._builders = [
            registry.lookup(group[0])(group, self._access, self._config)
            for group in self.plan.groups
        ]
        self._keras_weights = self._named_keras_weights(settings_net)
        self._keras_initial = {name: w.numpy() for name, w in self._keras_weights.items()}
        self._probes = ProbeRecorder(model.probes, model, model.dt, self.minibatch_size)
        self._data = SimulationData(self._probes, model.params)
        self._loop = SimulationLoop(
            self._builders,
            self._storage,
            self._access,
            self._probes.combined_blocks(self._access),
            unroll=self.unroll,
            n_feed_rows=self._feeds.n_rows,
            float_dtype=self.dtype,
            jit_compile=use_xla(get_setting(settings_net, "xla")),
        )

    # ---- state ----

    def _check_open(self, action: str):
        if self.closed:
            raise SimulatorClosed(f"Cannot {action}: the simulator is closed")

    def _process_rng(self):
        """The random stream of each process at time 0: nengo draws them from one stream in
        step order, which is replayed here."""
        rng = np.random.RandomState(self.seed)
        replay = {}
        for op in self._process_order:
            replay[op] = np.random.RandomState()
            replay[op].set_state(rng.get_state())
            op.process.get_rng(rng)  # advances rng exactly as nengo's make_step does

        def process_rng(op):
            return replay.get(op, rng)

        return process_rng

    def _reset_python_state(self):
        process_rng = self._process_rng()
        self._feeds.reset(process_rng, self.seed)
        for i, builder in enumerate(self._builders):
            builder.reset(process_rng(builder.ops[0]), self.seed + 7919 * (i + 1))

    def _initial_feed_rows(self, n_steps: int) -> np.ndarray:
        """The network's own input values for steps 1..n_steps from time 0 (what a run after a
        reset would compute), without disturbing the running simulation's processes."""
        return self._feeds.initial_values(n_steps, self._process_rng(), self.seed)

    def reset(self, seed=None, include_trainable=True, include_probes=True):
        """Return to the initial state (time 0, no probe data). ``seed`` changes the random
        streams of processes and noise, not the built model. With ``include_trainable`` (the
        default, as in NengoDL) trained parameters go back to their built values too."""
        self._check_open("reset")
        if seed is not None:
            self.seed = seed
        if self._trainer is not None:
            self._trainer.rng = np.random.RandomState(self.seed)  # the shuffling order
        self.soft_reset(include_trainable=include_trainable, include_probes=include_probes)

    def soft_reset(self, include_trainable=False, include_probes=False):
        """Reset the simulation state and time without rebuilding; trained parameters and probe
        data are kept unless ``include_trainable`` / ``include_probes``."""
        self._check_open("reset")
        self._storage.reset(include_trainable=include_trainable)
        if include_trainable:
            for name, weight in self._keras_weights.items():
                weight.assign(self._keras_initial[name])
        self._reset_python_state()
        self._n_steps = 0
        if include_probes:
            self.clear_probes()

    def clear_probes(self):
        """Forget all probe data."""
        self._probes.clear()

    def close(self):
        """Release the TensorFlow function, variables and builders. Idempotent."""
        self.closed = True
        for name in (
            "_loop",
            "_builders",
            "_storage",
            "_access",
            "signals",
            "_feeds",
            "_config",
            "_trainer",
            "_keras_weights",
        ):
            if hasattr(self, name):
                setattr(self, name, None)

    def __enter__(self):
        self._check_open("enter a context")
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.close()

    def __getstate__(self):
        return {
            "model": self.model,
            "settings": dict(
                dt=self.dt,
                seed=self.seed,
                dtype=self.dtype.name,
                device=self.device,
                unroll_simulation=self.unroll,
                minibatch_size=self.minibatch_size,
                progress_bar=self.progress_bar,
                optimize=self.optimize,
                tensorboard=self.tensorboard,
            ),
            "state": None if self.closed else self._storage.state_values(),
            "params": None if self.closed else self._param_values(),
            "n_steps": self.n_steps,
            "probe_chunks": self._probes.chunks,
            "closed": self.closed,
        }

    def __setstate__(self, state):
        self.__init__(None, model=state["model"], **state["settings"])
        if state["closed"]:
            self.close()
            return
        self._storage.load_state_values(state["state"])
        self._set_param_values(state["params"])
        self._n_steps = state["n_steps"]
        self._feeds.advance_processes(self._n_steps)
        for probe, chunks in state["probe_chunks"].items():
            self._probes.chunks[probe].extend(chunks)

    def __del__(self):
        if not getattr(self, "closed", True):
            warnings.warn(
                "Simulator with model=%s was deallocated while open. Please close simulators "
                "manually to ensure resources are properly freed." % getattr(self, "model", None),
                ResourceWarning,
            )

    # ---- running ----

    @property
    def dt(self) -> float:
        """Timestep, in seconds."""
        return self.model.dt

    @dt.setter
    def dt(self, dummy):
        raise ReadonlyError(attr="dt", obj=self)

    @property
    def n_steps(self) -> int:
        """Steps simulated since the last reset."""
        return self._n_steps

    @property
    def time(self) -> float:
        """Simulated time since the last reset, in seconds."""
        return self._n_steps * self.dt

    @property
    def trainable_weights(self) -> list:
        """The variables training changes: nengo parameters (a few arrays that hold them all)
        and the weights of Keras layers in TensorNodes."""
        self._check_open("list the trainable weights")
        return self._trainable_variables()

    def _trainable_variables(self) -> list:
        weights = list(self._storage.trainable_variables)
        for builder in self._builders:
            weights.extend(getattr(builder, "trainable_weights", []))
        return weights

    @property
    def data(self) -> SimulationData:
        """Probe data (``data[probe]``) and built parameters (``data[ensemble]``)."""
        return self._data

    def run(self, time_in_seconds, data=None, progress_bar=None):
        """Simulate ``time_in_seconds`` (rounded to a whole number of steps)."""
        self._check_open("run")
        if time_in_seconds is None or not np.isfinite(time_in_seconds) or time_in_seconds < 0:
            raise ValidationError(
                f"Must be a finite, non-negative number of seconds; got {time_in_seconds!r}",
                attr="time_in_seconds",
            )
        steps = int(np.round(float(time_in_seconds) / self.dt))
        if steps == 0:
            warnings.warn(
                f"{time_in_seconds} results in running for 0 timesteps. Simulator still at "
                f"time {self.time}."
            )
            return
        self.run_steps(steps, data=data, progress_bar=progress_bar)

    def step(self, data=None, progress_bar=None):
        """Advance one timestep."""
        self.run_steps(1, data=data, progress_bar=False)

    def run_steps(self, n_steps, data=None, progress_bar=None, profile=False):
        """Advance exactly ``n_steps`` timesteps.

        ``data`` maps input Nodes (Nodes without input) to arrays ``(minibatch_size, n_steps,
        node.size_out)`` that replace their output for this run. ``profile`` (True, or a folder)
        writes a TensorFlow profile of the run (default folder: ``nengo_tf_profile``); see also
        `group_timings` for a per-group report.
        """
        self._check_open("run")
        if not isinstance(n_steps, (int, np.integer)) or n_steps < 0:
            raise ValidationError(
                f"Must be a non-negative integer; got n_steps={n_steps!r}", attr="n_steps"
            )
        n_steps = int(n_steps)
        checked = self._feeds.check_data(data, n_steps, self.minibatch_size is not None)
        if n_steps == 0:
            return
        progress_bar = self.progress_bar if progress_bar is None else progress_bar
        progress = Progress("Simulating", "Simulation", n_steps)
        folder = profile if isinstance(profile, str) else "nengo_tf_profile"
        with (
            ProgressTracker(progress_bar, progress) as tracker,
            Profile(folder) if profile else contextlib.nullcontext(),
        ):
            feeds = self._feeds.values(self._n_steps, n_steps, checked)
            outputs = self._run_loop(n_steps, feeds, tracker.total_progress.step)
            self._probes.append_combined(outputs, self._n_steps)
            self._n_steps += n_steps

    def _run_loop(self, n_steps, feeds, on_chunk):
        errors = self._config.callback_errors
        errors.clear()
        try:
            with self._device():
                return self._loop.run(self._n_steps, n_steps, feeds, on_chunk)
        except tf.errors.OpError as e:
            if errors:
                error = errors[0]
                errors.clear()
                raise error
            raise SimulationError(f"TensorFlow failed while simulating: {e.message}") from e

    def group_timings(self, repeats: int = 200) -> str:
        """A report of the time each operator group takes per step (slowest first)."""
        self._check_open("profile")
        return format_group_timings(group_timings(self, repeats))

    def trange(self, sample_every=None, dt=None):
        """Times of the probe samples: ``dt, 2*dt, ...`` (every ``sample_every`` seconds)."""
        if dt is not None:
            if sample_every is not None:
                raise ValidationError(
                    "Cannot specify both `dt` and `sample_every`. Use `sample_every` only.",
                    attr="dt",
                    obj=self,
                )
            warnings.warn("`dt` is deprecated. Use `sample_every` instead.", DeprecationWarning)
            sample_every = dt
        period = 1 if sample_every is None else sample_every / self.dt
        steps = np.arange(1, self.n_steps + 1)
        return self.dt * steps[steps % period < 1]

    # ---- training (see training.py) ----

    @property
    def trainer(self) -> Trainer:
        self._check_open("train")
        if self._trainer is None:
            self._trainer = Trainer(self)
        return self._trainer

    def compile(self, optimizer, loss=None, metrics=None, loss_weights=None):
        """Prepare ``fit`` and ``evaluate``, as ``keras.Model.compile``.

        ``loss`` is a Keras loss (``(y_true, y_pred) -> loss``, a name or a Loss object) for
        every probe, or a dict ``{probe: loss}``; ``metrics`` a list (every probe) or a dict
        ``{probe: metric or list}``; ``loss_weights`` a dict ``{probe: weight}`` (the total loss
        is the weighted sum over probes). Outputs and targets are ``(minibatch, n_steps,
        probe.size_in)``.
        """
        self.trainer.compile(optimizer, loss=loss, metrics=metrics, loss_weights=loss_weights)

    def fit(
        self,
        x=None,
        y=None,
        n_steps=None,
        epochs=1,
        validation_data=None,
        callbacks=None,
        shuffle=True,
        verbose=None,
    ):
        """Train with Keras: ``x`` maps input Nodes to ``(n_examples, n_steps, size_out)``
        arrays, ``y`` maps Probes to targets ``(n_examples, n_steps, size_in)``; examples run in
        minibatches of ``minibatch_size`` (a remainder is left out, with a warning), each from
        the initial state. ``validation_data`` is ``(x, y)``; ``callbacks`` are Keras callbacks.
        Shows Keras' progress bar when the simulator's ``progress_bar`` is on (or ``verbose``).
        Returns Keras' History."""
        return self.trainer.fit(x, y, n_steps, epochs, validation_data, callbacks, shuffle, verbose)

    def evaluate(self, x=None, y=None, n_steps=None, callbacks=None, verbose=None) -> dict:
        """Losses and metrics of the compiled model (spiking neurons spike), as a dict."""
        return self.trainer.evaluate(x, y, n_steps, callbacks, verbose)

    def predict(self, x=None, n_steps=None, callbacks=None, verbose=None) -> dict:
        """Probe outputs ``{probe: (n_examples, n_samples, size_in)}`` for the inputs ``x``
        (or, with no inputs, one minibatch of ``n_steps``), each example from the initial
        state. Batches are computed one at a time; only the outputs are kept."""
        return self.trainer.predict(x, n_steps, callbacks, verbose)

    def train(
        self, data, targets, optimizer, n_epochs=1, objective="mse", shuffle=True, profile=False
    ):
        """NengoDL's training call: minimize ``objective`` of the probes' outputs against
        ``targets`` with ``optimizer`` (a Keras optimizer).

        ``data``: ``{input Node: (n_examples, n_steps, size_out)}``; ``targets``: ``{Probe:
        (n_examples, n_steps, size_in)}``. ``objective``: ``"mse"``, a function ``(outputs,
        targets) -> loss`` or a dict of those per probe (the losses are summed). ``profile``
        (True or a folder) writes a TensorFlow profile of the training. Returns Keras' History.
        """
        return self.trainer.train(data, targets, optimizer, n_epochs, objective, shuffle, profile)

    def loss(self, data, targets, objective="mse", training=False) -> float:
        """The mean of ``objective`` over minibatches of ``data`` (as in `train`), with the
        simulated neurons, or their training versions if ``training``."""
        return self.trainer.loss(data, targets, objective, training)

    def check_gradients(
        self, inputs=None, n_steps=5, training=True, atol=1e-5, rtol=1e-3, n_checks=10, delta=1e-3
    ):
        """Compare TensorFlow's gradients with central differences (step ``delta``), for the
        inputs and every trainable variable (``n_checks`` random elements each), over
        ``n_steps`` steps from the initial state. Raises SimulationError on a mismatch; returns
        the checks. Use ``dtype="float64"`` (and a smaller ``delta``) for tight tolerances."""
        trainer = self.trainer
        batches = trainer._minibatches(inputs, None, None if inputs else n_steps, "check")
        (feeds,) = batches[0]
        return check_gradients(
            self,
            trainer,
            feeds,
            training=training,
            n_checks=n_checks,
            delta=delta,
            atol=atol,
            rtol=rtol,
        )

    # ---- parameters (see params.py) ----

    def _named_keras_weights(self, network) -> dict:
        paths = object_paths(network)
        named = {}
        for builder in self._builders:
            node = getattr(builder, "node", None)
            for i, weight in enumerate(getattr(builder, "weights", [])):
                name = f"{paths.get(node, f'tensor_node_{id(node)}')}.{weight.name}"
                named[name if name not in named else f"{name}[{i}]"] = weight
        return named

    def _param_values(self) -> dict:
        values = {p.name: self._storage.read_signal(p.signal) for p in self._parameters}
        values.update({name: w.numpy() for name, w in self._keras_weights.items()})
        return values

    def _set_param_values(self, values: dict) -> None:
        for p in self._parameters:
            self._storage.write_signal(p.signal, values[p.name])
        for name, weight in self._keras_weights.items():
            weight.assign(values[name])

    def save_params(self, path) -> str:
        """Save the trainable parameters (and all Keras layer weights) to ``path.npz``. The
        names come from each object's place in the network, so the file loads into a simulator
        of an identically built network. Returns the file name."""
        self._check_open("save parameters")
        return save_params(self._param_values(), path)

    def load_params(self, path) -> None:
        """Load parameters saved by `save_params`; a missing, extra or differently shaped
        parameter raises a ValidationError that names it."""
        self._check_open("load parameters")
        expected = {name: value.shape for name, value in self._param_values().items()}
        self._set_param_values(load_params(path, expected))

    def print_params(self, msg=None) -> None:
        """Print the current value of every trainable parameter."""
        self._check_open("print parameters")
        if msg is not None:
            print(msg)
        print(format_params(self._param_values()))

    def get_nengo_params(self, objs, as_dict=False):
        """Arguments that build each of ``objs`` (Ensembles, Connections) with its trained
        values in any nengo model, e.g. ``nengo.Ensemble(n, d, **params)``; a list matching
        ``objs`` (or one dict for one object), or ``{name: params}`` with ``as_dict``."""
        self._check_open("read parameters")
        single = not isinstance(objs, (list, tuple))
        objs = [objs] if single else list(objs)
        current = {(p.obj, p.attr): self._storage.read_signal(p.signal) for p in self._parameters}
        params = [nengo_params(obj, self.model, current) for obj in objs]
        if as_dict:
            paths = object_paths(self.model.toplevel)
            return {paths.get(obj, str(obj)): p for obj, p in zip(objs, params)}
        return params[0] if single else params

    def freeze_params(self, objs) -> None:
        """Write the trained values into ``objs`` (a Network, or Ensembles and Connections), so
        that any simulator, e.g. nengo.Simulator, builds the trained model."""
        self._check_open("freeze parameters")
        objs = objs if isinstance(objs, (list, tuple)) else [objs]
        targets = []
        for obj in objs:
            if isinstance(obj, nengo.Network):
                targets.extend(obj.all_ensembles + obj.all_connections)
            else:
                targets.append(obj)
        params = self.get_nengo_params(targets)
        for obj, p in zip(targets, params):
            freeze(obj, p)
