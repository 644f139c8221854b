"""The simulation loop: ``unroll`` timesteps per ``tf.while_loop`` iteration, plus a remainder
loop, so that a run advances exactly the number of steps asked for; with XLA, one program per
chunk of steps."""

import itertools
import warnings

import numpy as np
import tensorflow as tf
from nengo_tf_builders import StepContext

# With XLA the whole loop is one compiled program, which needs static output shapes: runs go in
# chunks of at most this many steps (fewer when the probes are large), each padded to the full
# chunk and compiled once. The cost of a call (0.3-0.4 ms with its Python around it, measured
# with sim.step()) is then spread over the chunk's steps.
MAX_CHUNK_STEPS = 256
CHUNK_PROBE_BYTES = 1 << 26  # probe buffer of one chunk

# TensorFlow keeps every XLA compilation until the process ends (its compilation cache has no
# eviction): about 6 MB per simulator. With the ``xla`` setting left to auto, simulators stop
# compiling with XLA once this many have been compiled in the process, which bounds that memory.
AUTO_XLA_LIMIT = 200
_xla_compilations = 0
_warned_of_limit = False


def use_xla(setting) -> bool:
    """Whether a new simulator compiles with XLA: the ``xla`` setting, or when it is None
    (auto), as long as the process has compiled fewer than `AUTO_XLA_LIMIT` simulators."""
    global _warned_of_limit
    if setting is not None:
        return bool(setting)
    if _xla_compilations >= AUTO_XLA_LIMIT and not _warned_of_limit:
        _warned_of_limit = True
        warnings.warn(
            f"{AUTO_XLA_LIMIT} simulators have been compiled with XLA in this process, and "
            "TensorFlow keeps each compilation (about 6 MB) until the process ends: new "
            "simulators run without XLA (slower). configure_settings(xla=True) keeps XLA on; "
            "xla=False turns it off."
        )
    return _xla_compilations < AUTO_XLA_LIMIT


class _Recorder(dict):
    """A state dict that notes which arrays are read and which are written."""

    def __init__(self, values):
        super().__init__(values)
        self.read, self.written = set(), set()

    def __getitem__(self, name):
        self.read.add(name)
        return super().__getitem__(name)

    def __setitem__(self, name, value):
        self.written.add(name)
        super().__setitem__(name, value)


class CompiledSegment:
    """Consecutive builders' steps as one XLA program, called from the graph executor's loop.
    It takes only the arrays the builders read and returns only those they write: each
    argument of an XLA call costs about 1 us, so passing the whole state would cost more than
    the segment's arithmetic."""

    def __init__(self, builders, training: bool):
        self.builders = builders
        self.training = training
        self.reads = self.writes = None
        self.compiled = tf.function(self._segment, jit_compile=True, autograph=False)

    def _segment(self, values, step, feed):
        values = _Recorder(values)
        ctx = StepContext(step=step, feed=feed, training=self.training)
        for builder in self.builders:
            builder.step(values, ctx)
        if self.reads is None:
            self.reads, self.writes = sorted(values.read), sorted(values.written)
        return {name: dict.__getitem__(values, name) for name in self.writes}

    def step(self, values, ctx):
        if self.reads is None:  # trace once with everything, to learn what the builders use
            tf.function(self._segment, autograph=False).get_concrete_function(
                values, ctx.step, ctx.feed
            )
        inputs = {name: values[name] for name in self.reads}
        values.update(self.compiled(inputs, ctx.step, ctx.feed))


class SimulationLoop:
    """Compiles the builders' timesteps into one ``tf.function`` that runs ``n`` steps.

    The function is traced once per simulator, reads the state from the storage variables,
    carries it through the loop as tensors, and writes it back at the end; probe values come
    back as ``(n_steps, size, minibatch)`` arrays. Without XLA its number of steps is free; with
    XLA the function, loop included, is compiled as a whole for a fixed chunk of steps
    (``self.chunk``) and runs any number up to it, so the loop never leaves compiled code.
    """

    def __init__(
        self,
        builders,
        storage,
        signals,
        probe_blocks,
        unroll,
        n_feed_rows: int,
        float_dtype,
        jit_compile: bool = False,
    ):
        self.builders = builders
        self.storage = storage
        self.signals = signals
        self.probe_blocks = probe_blocks
        self.unroll = unroll
        self.minibatch_size = storage.minibatch_size
        self._feed_spec = (n_feed_rows, float_dtype)
        # Python callbacks must run in step order; otherwise let TF overlap iterations
        self.parallel_iterations = 1 if any(b.calls_python for b in builders) else 10
        self._segments = {}
        compatible = all(b.xla_compatible for b in builders)
        # with Python callbacks the loop stays in TensorFlow's graph executor, but the runs of
        # builders between callbacks are still compiled with XLA, one program each
        self.segmented = jit_compile and not compatible
        self._compile(jit_compile and compatible)

    def _compile(self, jit_compile: bool):
        self.jit_compile = jit_compile
        self.chunk = self._chunk_steps() if jit_compile else None
        self._compiled_once = False
        n_feed_rows, float_dtype = self._feed_spec
        self.function = tf.function(
            self._run,
            input_signature=[
                tf.TensorSpec((), tf.int64),
                tf.TensorSpec((), tf.int32),
                tf.TensorSpec((self.chunk, n_feed_rows, self.minibatch_size), float_dtype),
            ],
            autograph=False,
            jit_compile=jit_compile,
        )

    def _chunk_steps(self) -> int:
        bytes_per_step = sum(
            block.size * self.minibatch_size * block.dtype.size for block in self.probe_blocks
        )
        return int(np.clip(CHUNK_PROBE_BYTES // max(bytes_per_step, 1), 1, MAX_CHUNK_STEPS))

    def _step_functions(self, training) -> list:
        """Functions ``f(values, ctx)`` that together make one timestep, in plan order: each
        builder's step, or with ``segmented``, one XLA-compiled function per run of builders
        between those XLA cannot compile."""
        if not self.segmented:
            return [builder.step for builder in self.builders]
        if training not in self._segments:
            functions = []
            for compatible, run in itertools.groupby(self.builders, lambda b: b.xla_compatible):
                run = list(run)
                if compatible:
                    functions.append(CompiledSegment(run, training).step)
                else:
                    functions.extend(builder.step for builder in run)
            self._segments[training] = functions
        return self._segments[training]

    def _steps(self, n, training, state, constants, first_step, feed_rows):
        """``n`` timesteps from ``state``: returns the new state and, per probe block, the
        recorded values ``(n, size, minibatch)``. Pure, so it can be compiled with XLA."""
        recorded = [[] for _ in self.probe_blocks]
        step_functions = self._step_functions(training)
        for k in range(n):
            values = dict(constants)
            values.update(state)
            ctx = StepContext(step=first_step + k, feed=feed_rows[k], training=training)
            for step in step_functions:
                step(values, ctx)
            for out, block in zip(recorded, self.probe_blocks):
                out.append(tf.reshape(self.signals.read_batched(values, block), (block.size, -1)))
            state = {name: values[name] for name in state}
        return state, [tf.stack(out) for out in recorded]

    def _loop(self, n, training, i, stop, state, constants, start, feeds, arrays):
        def cond(i, state, arrays):
            return i + n <= stop

        def body(i, state, arrays):
            first_step = start + tf.cast(i, tf.int64) + 1
            state, recorded = self._steps(
                n, training, state, constants, first_step, feeds[i : i + n]
            )
            # one write per step (XLA has no TensorArray scatter)
            for k in range(n):
                arrays = [ta.write(i + k, values[k]) for ta, values in zip(arrays, recorded)]
            return i + n, state, arrays

        return tf.while_loop(
            cond, body, (i, state, arrays), parallel_iterations=self.parallel_iterations
        )

    def _simulate(self, state, start, feeds, training, n_steps=None, unroll=None):
        """Run ``n_steps`` (default ``len(feeds)``) steps from ``state``: the final state and,
        per probe block, the recorded values ``(len(feeds), size, minibatch)`` (rows past
        ``n_steps`` are zeros)."""
        variables = self.storage.variables
        constants = {name: variables[name].read_value() for name in self.storage.constant_names}
        size = feeds.shape[0] if feeds.shape[0] is not None else tf.shape(feeds)[0]
        n_steps = size if n_steps is None else n_steps
        arrays = [
            tf.TensorArray(block.dtype, size=size, element_shape=(block.size, self.minibatch_size))
            for block in self.probe_blocks
        ]
        i = tf.constant(0)
        unroll = unroll or self.unroll or 1
        for steps_per_iteration in (unroll, 1) if unroll > 1 else (1,):
            i, state, arrays = self._loop(
                steps_per_iteration, training, i, n_steps, state, constants, start, feeds, arrays
            )
        return state, [ta.stack() for ta in arrays]

    def _run(self, start, n_steps, feeds):
        variables = self.storage.variables
        state = {name: variables[name].read_value() for name in self.storage.state_names}
        # XLA's own loop costs less than unrolled steps (measured 1.1-5x slower unrolled: it
        # copies state it would otherwise update in place), so a compiled run does one step
        # per iteration. In the graph executor an iteration has a fixed cost (control ops for
        # every loop variable): with segments, which make the rest of a step cheap, unrolling
        # 10 steps measured 1.5-3x faster; without XLA it did not help.
        if self.jit_compile:
            unroll = 1
        else:
            unroll = self.unroll or (10 if self.segmented else 1)
        state, recorded = self._simulate(
            state, start, feeds, training=False, n_steps=n_steps, unroll=unroll
        )
        for name, value in state.items():
            variables[name].assign(value)
        return recorded

    def run(self, start: int, n_steps: int, feeds: np.ndarray, on_chunk=None) -> list:
        """Advance ``n_steps`` steps from step ``start`` with input rows ``feeds`` (``(n_steps,
        n_feed_rows, minibatch)``); returns the probe values, one NumPy array per probe block.
        ``on_chunk(steps)`` is called after each compiled chunk."""
        chunk = self.chunk or n_steps
        outputs = []
        for offset in range(0, n_steps, chunk):
            k = min(chunk, n_steps - offset)
            rows = feeds[offset : offset + k]
            if k < chunk:
                rows = np.concatenate([rows, np.zeros((chunk - k,) + rows.shape[1:], rows.dtype)])
            recorded = self._call(start + offset, k, rows)
            outputs.append([values.numpy()[:k] for values in recorded])
            if on_chunk is not None:
                on_chunk(k)
        return [np.concatenate(parts) for parts in zip(*outputs)]

    def _call(self, start, n_steps, rows):
        args = (tf.constant(start, tf.int64), tf.constant(n_steps, tf.int32), tf.constant(rows))
        try:
            recorded = self.function(*args)
        except (tf.errors.InvalidArgumentError, tf.errors.UnimplementedError) as e:
            # XLA rejects the graph before running any of it (e.g. an op in a TensorNode it
            # has no kernel for): the state is untouched, so run the same steps without XLA
            if not self.jit_compile or self._compiled_once or "XLA" not in e.message:
                raise
            reason = e.message.strip().splitlines()[0]
            warnings.warn(f"XLA cannot compile this model, so it runs without XLA: {reason}")
            self._compile(False)
            return self.function(*args)
        if (self.jit_compile or self.segmented) and not self._compiled_once:
            global _xla_compilations
            _xla_compilations += 1
        self._compiled_once = True
        return recorded

    def forward(self, feeds, training: bool) -> list:
        """Probe values for ``feeds`` (``(n_steps, n_feed_rows, minibatch)``), simulated from
        the initial state at time 0, without touching the simulator's state: what training,
        evaluation and prediction run. Differentiable with respect to the feeds and to the
        trainable variables (through rate versions of spiking neurons when ``training``)."""
        state = {name: var.read_value() for name, var in self.storage.initial_state.items()}
        _, recorded = self._simulate(state, tf.constant(0, tf.int64), feeds, training)
        return recorded
