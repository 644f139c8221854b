"""Index blocks of signal views address exactly the view's elements."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from nengo.builder.signal import Signal

from nengo_graph_optimizer import view_positions


@st.composite
def views(draw):
    rows, cols = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    base = Signal(np.arange(rows * cols, dtype=float).reshape(rows, cols), name="base")
    r0 = draw(st.integers(0, rows - 1))
    r1 = draw(st.integers(r0 + 1, rows))
    c0 = draw(st.integers(0, cols - 1))
    c1 = draw(st.integers(c0 + 1, cols))
    step = draw(st.integers(1, 3))
    kind = draw(st.sampled_from(["block", "row", "column", "flat"]))
    if kind == "block":
        return base, base[r0:r1:step, c0:c1]
    if kind == "row":
        return base, base[r0]
    if kind == "column":
        return base, base[:, c0]
    return base, base.reshape(rows * cols)[r0::step]


@given(views())
def test_view_positions_match_numpy(pair):
    base, view = pair
    positions = view_positions(view)
    assert positions.shape == view.shape
    np.testing.assert_array_equal(base.initial_value.ravel()[positions], view.initial_value)
