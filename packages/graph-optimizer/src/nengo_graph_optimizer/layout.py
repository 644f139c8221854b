"""Where every signal lives: flat base arrays and index blocks into them.

A base array is a flat vector holding the data of several nengo base signals, one after another.
Every signal (base or view) maps to an index block in one array; a view's block follows the view's
offset and strides, so any nengo view (slices, reshapes, transposes) is expressible. Backends read a
block as a contiguous slice when its indices are consecutive, and gather otherwise.
"""

from dataclasses import dataclass, field
from typing import Callable, Hashable, Iterable, Mapping, Sequence

import numpy as np
from nengo.builder.signal import Signal

SignalClass = Hashable


def sparse_entries(base: Signal) -> tuple[np.ndarray, np.ndarray]:
    """``(indices (nnz, 2), values (nnz,))`` of a sparse signal, in storage order."""
    matrix = base.initial_value
    if hasattr(matrix, "tocoo"):  # scipy.sparse: COO keeps each format's storage order
        coo = matrix.tocoo()
        return np.stack([coo.row, coo.col], axis=1).astype(np.int64), np.asarray(coo.data)
    return np.asarray(matrix.indices, dtype=np.int64), np.asarray(matrix.data)


def base_size(base: Signal) -> int:
    """Number of stored elements of a base signal (non-zeros for sparse signals)."""
    if base.sparse:
        return len(sparse_entries(base)[1])
    return int(base.size)


def base_values(base: Signal) -> np.ndarray:
    """The flat initial values of a base signal (the non-zero values for sparse signals)."""
    if base.sparse:
        return sparse_entries(base)[1].ravel()
    return np.asarray(base.initial_value).ravel()


def view_positions(sig: Signal) -> np.ndarray:
    """Flat element positions of ``sig`` inside its base, shaped like ``sig``."""
    base = sig.base
    positions = np.arange(base_size(base), dtype=np.int64)
    if sig.sparse or sig is base:
        return positions if sig.sparse else positions.reshape(sig.shape)
    itemsize = positions.itemsize
    return np.lib.stride_tricks.as_strided(
        positions[sig.elemoffset :],
        shape=sig.shape,
        strides=tuple(s * itemsize for s in sig.elemstrides),
        writeable=False,
    ).copy()


@dataclass(frozen=True, eq=False)
class BaseArray:
    """One flat array of signals of one class (e.g. one dtype, minibatched or not)."""

    name: str
    signal_class: SignalClass
    signals: tuple  # base signals, in storage order
    offsets: tuple  # offset of each signal in the array
    fixed_values: Mapping = field(default_factory=dict, repr=False)  # base -> flat values

    @property
    def size(self) -> int:
        if not self.signals:
            return 0
        return self.offsets[-1] + base_size(self.signals[-1])

    def initial_value(self) -> np.ndarray:
        if not self.signals:
            return np.zeros(0)
        return np.concatenate(
            [np.asarray(self.fixed_values.get(s, base_values(s))) for s in self.signals]
        )


@dataclass(frozen=True, eq=False)
class SignalLayout:
    """Placement of every base signal: which array, at which offset."""

    arrays: tuple
    placement: Mapping = field(repr=False)  # base Signal -> (array index, offset)

    def array_of(self, sig: Signal) -> BaseArray:
        return self.arrays[self.placement[sig.base][0]]

    def locate(self, sig: Signal) -> tuple[BaseArray, np.ndarray]:
        """The array holding ``sig`` and its element indices there, shaped like ``sig``."""
        index, offset = self.placement[sig.base]
        return self.arrays[index], view_positions(sig) + offset

    def __contains__(self, sig: Signal) -> bool:
        return sig.base in self.placement


def _unique(signals: Iterable[Signal]) -> list:
    return list(dict.fromkeys(signals))


def make_layout(
    groups: Sequence[Sequence],
    extra_signals: Iterable[Signal],
    signal_class: Callable[[Signal], SignalClass],
    is_written: Callable[[Signal], bool],
    fixed_values: Mapping = None,
) -> SignalLayout:
    """Place the base signals of ``groups`` (and ``extra_signals``) in base arrays.

    ``signal_class(base)`` says which signals may share an array. Signals that ``is_written``
    are placed block by block: the not-yet-placed signals that one group writes at one operand
    position form one array, so that a merged group writes one contiguous array (backends that
    keep arrays as immutable values then replace a small array rather than copy a large one).
    Read-only signals share one array per class, in the order in which groups first read them,
    each group's signals at one operand position next to each other, so merged groups tend to
    read one contiguous block. ``fixed_values`` (base → flat values) replace initial values
    (simplifications fix some signals' values).
    """
    fixed_values = fixed_values or {}
    # where each signal is first read: a block of written signals is ordered by it, so the
    # signals one group reads sit together, in that group's operator order
    first_reader = {}
    for g, group in enumerate(groups):
        for i, op in enumerate(group):
            for sig in op.reads:
                first_reader.setdefault(sig.base, (g, i))
    unread = (len(groups), 0)

    placed: set = set()
    written_blocks = []  # lists of base signals that get an array each
    readonly: dict = {}  # class -> list of base signals

    def place_readonly(base):
        if base not in placed:
            placed.add(base)
            readonly.setdefault(signal_class(base), []).append(base)

    for group in groups:
        n_positions = max(len(op.all_signals) for op in group)
        for pos in range(n_positions):
            bases = _unique(op.all_signals[pos].base for op in group if pos < len(op.all_signals))
            block: dict = {}
            for base in bases:
                if base in placed:
                    continue
                if is_written(base):
                    placed.add(base)
                    block.setdefault(signal_class(base), []).append(base)
                else:
                    place_readonly(base)
            for cls, bases_of_class in block.items():
                bases_of_class.sort(key=lambda b: first_reader.get(b, unread))
                written_blocks.append((cls, bases_of_class))
    for sig in extra_signals:
        if is_written(sig.base) and sig.base not in placed:
            placed.add(sig.base)
            written_blocks.append((signal_class(sig.base), [sig.base]))
        else:
            place_readonly(sig.base)

    arrays = []
    placement = {}
    for cls, signals in written_blocks + list(readonly.items()):
        sizes = [base_size(s) for s in signals]
        offsets = tuple(int(o) for o in np.concatenate([[0], np.cumsum(sizes)[:-1]]))
        index = len(arrays)
        fixed = {s: fixed_values[s] for s in signals if s in fixed_values}
        arrays.append(BaseArray(f"array{index}", cls, tuple(signals), offsets, fixed))
        for sig, offset in zip(signals, offsets):
            placement[sig] = (index, offset)
    return SignalLayout(tuple(arrays), placement)
