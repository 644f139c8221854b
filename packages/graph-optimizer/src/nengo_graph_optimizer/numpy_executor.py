"""A small NumPy backend for Plans: proof that a Plan is backend-agnostic, and the oracle of the
optimizer's property tests.

Signals live in the Plan's flat base arrays (one NumPy array per `BaseArray`); every operator runs
through its own nengo ``make_step``, on views into those arrays, group by group in plan order.
"""

import numpy as np
from nengo.builder.signal import SignalDict

from .layout import base_size


class NumpyPlanExecutor:
    """Run ``plan`` for nengo's model ``model`` (for ``dt``, time and probes)."""

    def __init__(self, plan, model, seed: int = 0):
        self.plan = plan
        self.model = model
        self.arrays = {}
        self.signals = SignalDict()
        for array in plan.layout.arrays:
            dtype = np.result_type(*[s.dtype for s in array.signals]) if array.signals else float
            self.arrays[array.name] = data = array.initial_value().astype(dtype)
            for sig, offset in zip(array.signals, array.offsets):
                if sig.sparse:  # sparse operators need the matrix itself (constant here)
                    dict.__setitem__(self.signals, sig, sig.initial_value.copy())
                else:
                    view = data[offset : offset + base_size(sig)].reshape(sig.shape)
                    dict.__setitem__(self.signals, sig, view)
        rng = np.random.RandomState(seed)
        self.steps = [
            op.make_step(self.signals, model.dt, rng) for group in plan.groups for op in group
        ]
        self.probes = {probe: [] for probe in model.probes}

    def run_steps(self, n_steps: int) -> dict:
        """Advance ``n_steps`` and return all probe data so far, ``{probe: (n, *shape)}``."""
        for _ in range(n_steps):
            for step in self.steps:
                step()
            for probe, data in self.probes.items():
                data.append(np.array(self.signals[self.model.sig[probe]["in"]]))
        return {probe: np.asarray(data) for probe, data in self.probes.items()}
