"""Signal ordering: arrange operators within groups, and so signals within base arrays, so that
each group reads contiguous blocks.

The layout places signals in the order in which groups first touch them, so the order of the
operators inside each group decides where their signals land. Sorting each group's operators by
where their inputs already are, then laying out again, lines up a group's reads with the blocks
that earlier groups wrote; a few passes settle it.
"""

from typing import Callable


def _read_position(layout, op):
    """Where an operator's inputs live: (array, first element) per read, in read order."""
    position = []
    for sig in op.reads:
        _, indices = layout.locate(sig)
        first = int(indices.ravel()[0]) if indices.size else 0
        position.append((layout.placement[sig.base][0], first))
    return tuple(position)


def order_signals(groups, make_layout: Callable, n_passes: int = 3):
    """Return ``(groups, layout)`` with each merged group's operators sorted by where their
    inputs are, repeated until stable or for ``n_passes``. ``make_layout(groups)`` lays out."""
    groups = tuple(tuple(g) for g in groups)
    layout = make_layout(groups)
    for _ in range(n_passes):
        reordered = tuple(
            tuple(sorted(g, key=lambda op: _read_position(layout, op))) if len(g) > 1 else g
            for g in groups
        )
        if all(a == b for a, b in zip(reordered, groups)):
            break
        groups = reordered
        layout = make_layout(groups)
    return groups, layout
