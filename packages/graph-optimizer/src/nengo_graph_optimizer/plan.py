"""The Plan: ordered operator groups plus the signal layout they run on."""

from collections import Counter
from dataclasses import dataclass
from typing import Callable, Hashable, Iterable, Sequence

import numpy as np
from nengo.builder.operator import Operator
from nengo.builder.signal import Signal

from .layout import SignalLayout, make_layout
from .merge_policy import MergePolicy
from .ordering import order_signals
from .planners import get_planner
from .simplify import DEFAULT_SIMPLIFICATIONS, SignalFacts, simplify


def is_contiguous(indices: np.ndarray) -> bool:
    """Whether flat indices form one ascending run (so a slice can read them)."""
    flat = np.asarray(indices).ravel()
    return flat.size == 0 or bool(np.all(np.diff(flat) == 1))


@dataclass(frozen=True, eq=False)
class Plan:
    """An immutable execution plan: run ``groups`` in order, on signals placed by ``layout``."""

    groups: tuple  # tuple[tuple[Operator, ...], ...]
    layout: SignalLayout

    @property
    def operators(self) -> list:
        return [op for group in self.groups for op in group]

    def read_blocks(self):
        """Yield, per group and read position, the combined index block and whether it is one
        array. Backends can read a block with one slice when it is contiguous in one array."""
        for group in self.groups:
            n_reads = min(len(op.reads) for op in group)
            for pos in range(n_reads):
                located = [self.layout.locate(op.reads[pos]) for op in group]
                same_array = len({id(arr) for arr, _ in located}) == 1
                indices = np.concatenate([idx.ravel() for _, idx in located])
                yield same_array and is_contiguous(indices)

    def summary(self) -> str:
        types = Counter(type(group[0]).__name__ for group in self.groups)
        reads = list(self.read_blocks())
        n_contiguous = sum(reads)
        lines = [
            f"{len(self.operators)} operators in {len(self.groups)} groups, "
            f"{len(self.layout.arrays)} base arrays",
            f"reads: {n_contiguous} contiguous, {len(reads) - n_contiguous} gathered",
        ]
        lines += [f"  {name}: {n} groups" for name, n in sorted(types.items())]
        return "\n".join(lines)


def build_plan(
    operators: Sequence[Operator],
    policy: MergePolicy,
    planner="greedy",
    simplifications: Iterable = DEFAULT_SIMPLIFICATIONS,
    protected: Iterable[Signal] = (),
    signal_class: Callable[[Signal, bool], Hashable] = lambda base, written: (
        base.dtype.kind,
        written,
    ),
    extra_signals: Iterable[Signal] = (),
    sort_signals: bool = True,
) -> Plan:
    """Simplify ``operators``, plan them into groups, and lay out their signals.

    ``signal_class(base, written)`` names how the backend stores a base signal (``written``: some
    operator writes it); operators merge only when ``policy`` gives them equal keys *and* their
    signals have equal classes at every operand position. ``protected`` signals are never treated
    as constants (e.g. trainable parameters). ``extra_signals`` are signals that the backend must
    store although no operator may touch them (e.g. probed signals). ``sort_signals`` orders
    operators within groups so that their signals are contiguous (`order_signals`).
    """
    operators, facts = simplify(operators, simplifications, SignalFacts(protected))
    written = {sig.base for op in operators for sig in op.sets + op.incs + op.updates}

    def storage_class(base):
        return signal_class(base, base in written)

    def key(op):
        backend_key = policy.key(op)
        if backend_key is None:
            return None
        return backend_key, tuple(storage_class(sig.base) for sig in op.all_signals)

    groups = get_planner(planner)(operators, MergePolicy(key))
    extra_signals = list(extra_signals)

    def layout_of(groups):
        return make_layout(
            groups, extra_signals, storage_class, written.__contains__, facts.initial_values
        )

    if sort_signals:
        groups, layout = order_signals(groups, layout_of)
    else:
        layout = layout_of(groups)
    return Plan(tuple(tuple(g) for g in groups), layout)
