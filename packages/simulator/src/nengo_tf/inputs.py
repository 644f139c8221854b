"""Values that do not depend on the simulation, computed in Python ahead of each run.

Nodes without input (functions of time, constant arrays, processes) and processes without input
(e.g. ensemble noise) are replaced in the operator graph by `SimFeed` operators. Before each run,
`InputFeeds.values` computes their rows for every step of the run, or takes them from the user's
``data``, as one array ``(n_steps, n_rows, minibatch)``.
"""

from dataclasses import dataclass
from typing import Optional

import numpy as np
import nengo
from nengo.builder.operator import SimPyFunc
from nengo.builder.processes import SimProcess
from nengo.exceptions import ValidationError
from nengo_tf_builders import SimFeed, call_node_function, checked_output
from nengo_tf_builders.callbacks import element_rngs


@dataclass(eq=False)
class Feed:
    """One fed signal: where its rows are, and what computes them."""

    feed_op: SimFeed
    source: object  # SimPyFunc, SimProcess, or a constant array
    node: Optional[nengo.Node]  # the input node it belongs to (None for e.g. ensemble noise)

    @property
    def rows(self) -> slice:
        return slice(*self.feed_op.rows)

    @property
    def size(self) -> int:
        return self.feed_op.rows[1] - self.feed_op.rows[0]


def _input_nodes(model) -> dict:
    """Output signal → input node, for every node without input in the built network."""
    if model.toplevel is None:
        return {}
    nodes = {}
    for node in model.toplevel.all_nodes:
        if node.size_in == 0 and node.output is not None and node in model.sig:
            out = model.sig[node]["out"]
            if out is not None:
                nodes[out] = node
    return nodes


class InputFeeds:
    """Finds the operators that can be computed ahead of the loop and computes them per run."""

    def __init__(self, model, operators, minibatch_size: int, dtype):
        self.dt = model.dt
        self.minibatch_size = minibatch_size
        self.dtype = dtype
        nodes = _input_nodes(model)
        self.feeds: list[Feed] = []
        self.operators = []
        self.side_effect_ops = []  # nodes without output, called for their side effects
        fed_nodes = set()
        for op in operators:
            if isinstance(op, SimPyFunc) and op.x is None:
                if op.output is None:
                    self.side_effect_ops.append(op)
                    continue
                self._add(op.output, "set", op, nodes.get(op.output))
            elif isinstance(op, SimProcess) and op.input is None:
                mode = "inc" if op.mode == "inc" else "set"
                self._add(op.output, mode, op, nodes.get(op.output) if mode == "set" else None)
            else:
                self.operators.append(op)
                continue
            fed_nodes.add(nodes.get(op.output))
        for out, node in nodes.items():
            if node not in fed_nodes and isinstance(node.output, np.ndarray):
                self._add(out, "set", np.asarray(node.output), node)
        self.operators.extend(f.feed_op for f in self.feeds)
        self.by_node = {f.node: f for f in self.feeds if f.node is not None}
        self.n_rows = sum(f.size for f in self.feeds)
        self._process_steps = {}

    def _add(self, output, mode, source, node):
        start = sum(f.size for f in self.feeds)
        op = SimFeed(output, (start, start + output.size), mode=mode, source=source)
        self.feeds.append(Feed(op, source, node))

    def reset(self, process_rng, seed: int) -> None:
        """Restart every process from its initial state (random streams from ``process_rng``,
        a function of the nengo operator)."""
        self._process_steps = {}
        for i, feed in enumerate(self.feeds):
            op = feed.source
            if isinstance(op, SimProcess):
                rngs = element_rngs(process_rng(op), seed + i, self.minibatch_size)
                shape_out = op.output.shape
                self._process_steps[op] = [
                    op.process.make_step(
                        (0,),
                        shape_out,
                        self.dt,
                        op.process.get_rng(rng),
                        {k: np.array(s.initial_value) for k, s in op.state.items()},
                    )
                    for rng in rngs
                ]

    def initial_values(self, n_steps: int, process_rng, seed: int) -> np.ndarray:
        """`values` for steps 1..n_steps of a run from time 0, with processes started afresh;
        the processes of the running simulation are left where they are."""
        running = self._process_steps
        try:
            self.reset(process_rng, seed)
            return self.values(0, n_steps, {})
        finally:
            self._process_steps = running

    def advance_processes(self, n_steps: int) -> None:
        """Step the fed processes through steps ``1 .. n_steps`` (e.g. after unpickling, to bring
        processes with internal state to where the simulation is)."""
        for step_fns in self._process_steps.values():
            for n in range(1, n_steps + 1):
                for step_fn in step_fns:
                    step_fn(n * self.dt)

    def feed_of(self, node, attr: str) -> Feed:
        """The feed of an input node; a ValidationError naming ``node`` if it is not one."""
        feed = self.by_node.get(node)
        if feed is None:
            raise ValidationError(
                f"{node} is not an input node of this simulator ({attr} can only be given for "
                "Nodes without input)",
                attr=attr,
            )
        return feed

    def check_data(self, data, n_steps: int, batch_given: bool) -> dict:
        """Validated ``data`` as ``{Feed: array (minibatch, n_steps, size)}``."""
        checked = {}
        for obj, values in (data or {}).items():
            feed = self.feed_of(obj, "data")
            values = np.asarray(values)
            expected = (self.minibatch_size, n_steps, feed.size)
            if values.ndim == 2 and not batch_given:
                values = values[None]
            if values.shape != expected:
                raise ValidationError(
                    f"data for {obj} has shape {values.shape}; expected {expected} "
                    "(minibatch_size, n_steps, node.size_out)",
                    attr="data",
                )
            if not np.all(np.isfinite(values)):
                raise ValidationError(f"data for {obj} contains NaN or infinite values", "data")
            checked[feed] = values
        return checked

    def values(self, start_step: int, n_steps: int, data: dict) -> np.ndarray:
        """Feed rows for absolute steps ``start_step + 1 .. start_step + n_steps``, as
        ``(n_steps, n_rows, minibatch)``."""
        out = np.zeros((n_steps, self.n_rows, self.minibatch_size), dtype=self.dtype)
        computed = []
        for feed in self.feeds:
            if feed in data:
                out[:, feed.rows, :] = np.transpose(data[feed], (1, 2, 0))
            elif isinstance(feed.source, np.ndarray):
                out[:, feed.rows, :] = feed.source.reshape(1, -1, 1)
            else:
                computed.append(feed)
        # step by step, so that functions with side effects see nengo's call order in time
        for i, n in enumerate(range(start_step + 1, start_step + n_steps + 1)):
            for feed in computed:
                op = feed.source
                if isinstance(op, SimPyFunc):
                    y = call_node_function(op, self.dt, n)
                    out[i, feed.rows, :] = checked_output(op.fn, y, op.output.shape).reshape(-1, 1)
                else:
                    for b, step_fn in enumerate(self._process_steps[op]):
                        out[i, feed.rows, b] = np.ravel(step_fn(n * self.dt))
            for op in self.side_effect_ops:
                call_node_function(op, self.dt, n)
        return out
