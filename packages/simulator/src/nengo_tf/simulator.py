"""``nengo_tf.Simulator``: nengo's builder, our planner, TensorFlow execution."""

import contextlib
import warnings

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

from .inputs import InputFeeds
from .loop import SimulationLoop
from .probes import ProbeRecorder, SimulationData
from .profiling import Profile, format_group_timings, group_timings
from .settings import get_setting
from .storage import SignalValues, Storage, signal_classes

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
    unroll_simulation : int
        Timesteps per iteration of the simulation loop (faster runs, slower build). Runs always
        advance exactly the number of steps asked for.
    minibatch_size : int, optional
        Number of independent copies simulated at once. With None, probe data have nengo's shape
        ``(n_steps, d)``; otherwise ``(minibatch_size, n_steps, d)``.
    progress_bar : bool or nengo.utils.progress.ProgressBar
        Show nengo's progress bar while building and running.
    optimize : bool
        Plan with merging (the ``planner`` setting, greedy by default); False plans one operator
        per group, in nengo's order (for debugging).
    """

    def __init__(
        self,
        network,
        dt=0.001,
        seed=None,
        model=None,
        dtype="float32",
        device=None,
        unroll_simulation=1,
        minibatch_size=None,
        progress_bar=True,
        optimize=True,
    ):
        self.closed = True  # until construction succeeds
        self.optimize = optimize
        if not (isinstance(unroll_simulation, (int, np.integer)) and unroll_simulation >= 1):
            raise ValidationError(
                f"Must be an integer >= 1; got unroll_simulation={unroll_simulation!r}",
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
        self.unroll = int(unroll_simulation)
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
        self.plan = build_plan(
            self._feeds.operators,
            _merge_policy(registry, model.dt),
            planner=get_setting(settings_net, "planner") if self.optimize else "noop",
            simplifications=get_setting(settings_net, "simplifications") if self.optimize else (),
            signal_class=signal_classes(self.dtype, model.time),
            # every signal stays inspectable (sim.signals) even if simplification removed its ops
            extra_signals=probe_signals
            + [sig for op in self._feeds.operators for sig in op.all_signals],
        )
        self._storage = Storage(self.plan.layout, batch)
        self._access = SignalAccess(self.plan.layout, self._storage.specs, batch)
        self.signals = SignalValues(
            self._access, self._storage, squeeze_batch=self.minibatch_size is None
        )
        self._config = BuildConfig(dt=model.dt, dtype=self.dtype, minibatch_size=batch)
        self._builders = [
            registry.lookup(group[0])(group, self._access, self._config)
            for group in self.plan.groups
        ]
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
            has_callbacks=any(b.calls_python for b in self._builders),
            jit_compile=bool(get_setting(settings_net, "xla")),
        )

    # ---- state ----

    def _check_open(self, action: str):
        if self.closed:
            raise SimulatorClosed(f"Cannot {action}: the simulator is closed")

    def _reset_python_state(self):
        rng = np.random.RandomState(self.seed)
        replay = {}
        for op in self._process_order:
            replay[op] = np.random.RandomState()
            replay[op].set_state(rng.get_state())
            op.process.get_rng(rng)  # advances rng exactly as nengo's make_step does

        def process_rng(op):
            return replay.get(op, rng)

        self._feeds.reset(process_rng, self.seed)
        for i, builder in enumerate(self._builders):
            builder.reset(process_rng(builder.ops[0]), self.seed + 7919 * (i + 1))

    def reset(self, seed=None):
        """Return to the initial state (time 0, no probe data); ``seed`` changes the random
        streams of processes and noise, not the built model."""
        self._check_open("reset")
        if seed is not None:
            self.seed = seed
        self.soft_reset(include_probes=True)

    def soft_reset(self, include_probes=False):
        """Reset the simulation state and time without rebuilding; probe data are kept unless
        ``include_probes``."""
        self._check_open("reset")
        self._storage.reset(include_constants=False)
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
        for name in ("_loop", "_builders", "_storage", "_access", "signals", "_feeds", "_config"):
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
            ),
            "state": None if self.closed else self._storage.state_values(),
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
        """TensorFlow variables of Keras layers inside TensorNodes: gradients of probe outputs
        reach them through the simulation loop."""
        weights = []
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
            outputs = self._run_loop(n_steps, feeds)
            self._probes.append_combined([out.numpy() for out in outputs], self._n_steps)
            self._n_steps += n_steps
            tracker.total_progress.step(n_steps)

    def _run_loop(self, n_steps, feeds):
        errors = self._config.callback_errors
        errors.clear()
        try:
            with self._device():
                return self._loop.run(self._n_steps, n_steps, tf.constant(feeds))
        except tf.errors.OpError as e:
            if errors:
                error = errors[0]
                errors.clear()
                raise error
            raise SimulationError(f"TensorFlow failed while simulating: {e.message}") from e

    def group_timings(self, repeats: int = 50) -> str:
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
