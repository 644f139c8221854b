"""Simplifications: passes from operators to operators that keep every probed result equal.

Each pass takes the operator list and `SignalFacts` and returns a new operator list; passes may
also fix a signal's value for the whole simulation, recorded in ``facts.initial_values`` (a side
table: nengo's signals and operators are never modified). `simplify` runs the chosen passes until
nothing changes.

A signal is *constant* when no operator writes any view of its base and the backend has not
protected it (e.g. because it is trainable, so its value may change between runs).
"""

from collections import defaultdict
from typing import Callable, Iterable, Sequence

import numpy as np
from nengo.builder.operator import Copy, DotInc, ElementwiseInc, Reset
from nengo.builder.processes import SimProcess
from nengo.builder.signal import Signal

from .layout import base_values, view_positions
from .set_ops import DotSet, ElementwiseSet, ResetArray


class SignalFacts:
    """What the passes know about signals: writers, protection, and fixed values."""

    def __init__(self, protected: Iterable[Signal] = (), initial_values=None):
        self.protected = {sig.base for sig in protected}
        self.initial_values = dict(initial_values or {})  # base Signal -> flat values
        self.writers: dict = {}

    def update(self, operators: Sequence) -> None:
        writers = defaultdict(list)
        for op in operators:
            for sig in op.sets + op.incs + op.updates:
                writers[sig.base].append(op)
        self.writers = writers

    def is_constant(self, sig: Signal) -> bool:
        return not sig.sparse and not self.writers.get(sig.base) and sig.base not in self.protected

    def value(self, sig: Signal) -> np.ndarray:
        """The value of a signal as the simulation sees it (shaped like ``sig``)."""
        flat = self.initial_values.get(sig.base)
        if flat is None:
            return np.asarray(sig.initial_value)
        return flat[view_positions(sig)]

    def fix_value(self, sig: Signal, value) -> None:
        base = sig.base
        flat = self.initial_values.get(base)
        if flat is None:
            flat = base_values(base).astype(base.dtype).copy()
        flat[view_positions(sig)] = np.broadcast_to(value, sig.shape)
        self.initial_values[base] = flat

    def is_zero(self, sig: Signal) -> bool:
        return self.is_constant(sig) and not np.any(self.value(sig))


def remove_unmodified_resets(operators, facts: SignalFacts):
    """Drop a Reset whose signal nothing else writes, fixing the signal to the reset value.

    Valid because readers run after the Reset in every step (sets precede reads), and nothing
    else changes the signal, so it holds the reset value whenever it is read or probed.
    """
    result = []
    for op in operators:
        if (
            isinstance(op, Reset)
            and facts.writers[op.dst.base] == [op]
            and op.dst.base not in facts.protected
        ):
            facts.fix_value(op.dst, op.value)
        else:
            result.append(op)
    return result


def remove_zero_incs(operators, facts: SignalFacts):
    """Drop increments that add zero: DotInc or ElementwiseInc with a constant all-zero operand,
    and incrementing Copies of constant zeros. A setting Copy of zeros becomes a Reset.

    Valid because adding zero changes nothing; the setting copy still writes its zeros.
    """
    result = []
    for op in operators:
        if type(op) in (DotInc, ElementwiseInc) and (facts.is_zero(op.A) or facts.is_zero(op.X)):
            continue
        if type(op) is Copy and facts.is_zero(op.src):
            if op.inc:
                continue
            if op.dst_slice is None:
                result.append(Reset(op.dst, 0, tag=op.tag))
                continue
        result.append(op)
    return result


def remove_constant_copies(operators, facts: SignalFacts):
    """Turn a setting Copy from a constant source into a Reset to the source's value.

    Valid because the source never changes; the Reset writes the same values in the same place
    of the step order (it is a setter, like the Copy). Increments and index-list destinations
    are kept.
    """
    result = []
    for op in operators:
        if type(op) is Copy and not op.inc and op.dst_slice is None and facts.is_constant(op.src):
            value = facts.value(op.src)
            if op.src_slice is not None:
                value = value[op.src_slice]
            result.append(ResetArray(op.dst, value, tag=op.tag))
        else:
            result.append(op)
    return result


def _is_ones(facts, sig):
    return facts.is_constant(sig) and np.all(facts.value(sig) == 1)


def remove_identity_muls(operators, facts: SignalFacts):
    """Turn multiplications by a constant one (ElementwiseInc) or identity matrix (DotInc) into
    incrementing Copies of the other operand.

    Valid because ``1 * x == x`` and ``I @ x == x`` exactly; shapes must match so that no
    broadcasting is lost.
    """
    result = []
    for op in operators:
        if type(op) is ElementwiseInc:
            if _is_ones(facts, op.A) and op.X.shape == op.Y.shape:
                result.append(Copy(op.X, op.Y, inc=True, tag=op.tag))
                continue
            if _is_ones(facts, op.X) and op.A.shape == op.Y.shape:
                result.append(Copy(op.A, op.Y, inc=True, tag=op.tag))
                continue
        if type(op) is DotInc and op.A.ndim == 2 and op.A.shape[0] == op.A.shape[1]:
            if (
                op.X.shape == op.Y.shape
                and facts.is_constant(op.A)
                and np.array_equal(facts.value(op.A), np.eye(op.A.shape[0]))
            ):
                result.append(Copy(op.X, op.Y, inc=True, tag=op.tag))
                continue
        result.append(op)
    return result


def _set_variant(op):
    if type(op) is Copy and op.inc and op.dst_slice is None:
        return Copy(op.src, op.dst, src_slice=op.src_slice, inc=False, tag=op.tag)
    if type(op) is DotInc:
        return DotSet(op.A, op.X, op.Y, reshape=op.reshape, tag=op.tag)
    if type(op) is ElementwiseInc:
        return ElementwiseSet(op.A, op.X, op.Y, tag=op.tag)
    if type(op) is SimProcess and op.mode == "inc":
        return SimProcess(
            op.process, op.input, op.output, op.t, mode="set", state=op.state, tag=op.tag
        )
    return None


def remove_reset_incs(operators, facts: SignalFacts):
    """A ``Reset(0)`` followed by exactly one increment of the same signal becomes that
    increment's "set" variant (Copy without inc, DotSet, ElementwiseSet, SimProcess mode set).

    Valid because ``y = 0; y += f`` equals ``y = f`` when nothing else writes y; the set variant
    keeps the Reset's place before all readers.
    """
    replace, drop = {}, set()
    for op in operators:
        if not isinstance(op, Reset) or np.any(op.value != 0) or op.dst is not op.dst.base:
            continue
        writers = facts.writers[op.dst.base]
        if len(writers) != 2 or op.dst.base in facts.protected:
            continue
        (other,) = [w for w in writers if w is not op]
        if other.incs != [op.dst] or other.sets or other.updates:
            continue
        variant = _set_variant(other)
        if variant is not None and other not in replace:
            replace[other] = variant
            drop.add(op)
    return [replace.get(op, op) for op in operators if op not in drop]


SIMPLIFICATIONS = {
    "remove_unmodified_resets": remove_unmodified_resets,
    "remove_zero_incs": remove_zero_incs,
    "remove_identity_muls": remove_identity_muls,
    "remove_constant_copies": remove_constant_copies,
    "remove_reset_incs": remove_reset_incs,
}
DEFAULT_SIMPLIFICATIONS = tuple(SIMPLIFICATIONS)

Pass = Callable[[list, SignalFacts], list]


def simplify(operators, passes=DEFAULT_SIMPLIFICATIONS, facts: SignalFacts = None):
    """Run ``passes`` (names or functions) in order, repeatedly, until the operator list stops
    changing. Returns ``(operators, facts)``; ``facts.initial_values`` holds fixed values."""
    facts = SignalFacts() if facts is None else facts
    functions = [SIMPLIFICATIONS[p] if isinstance(p, str) else p for p in passes]
    operators = list(operators)
    while True:
        before = operators
        for function in functions:
            facts.update(operators)
            operators = function(operators, facts)
        if len(operators) == len(before) and all(a is b for a, b in zip(operators, before)):
            return operators, facts
