"""Backend-agnostic planning and signal layout for nengo operator graphs.

Imports only nengo and numpy.
"""

from .layout import (
    BaseArray,
    SignalLayout,
    base_size,
    base_values,
    make_layout,
    sparse_entries,
    view_positions,
)
from .merge_policy import MergePolicy
from .numpy_executor import NumpyPlanExecutor
from .plan import Plan, build_plan, is_contiguous
from .planners import (
    PLANNERS,
    get_planner,
    greedy_planner,
    noop_planner,
    transitive_planner,
    tree_planner,
)
from .set_ops import DotSet, ElementwiseSet, ResetArray
from .simplify import DEFAULT_SIMPLIFICATIONS, SIMPLIFICATIONS, SignalFacts, simplify

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_SIMPLIFICATIONS",
    "DotSet",
    "ElementwiseSet",
    "ResetArray",
    "SIMPLIFICATIONS",
    "SignalFacts",
    "simplify",
    "BaseArray",
    "MergePolicy",
    "NumpyPlanExecutor",
    "PLANNERS",
    "Plan",
    "SignalLayout",
    "base_size",
    "base_values",
    "build_plan",
    "get_planner",
    "greedy_planner",
    "is_contiguous",
    "make_layout",
    "noop_planner",
    "transitive_planner",
    "tree_planner",
    "sparse_entries",
    "view_positions",
]
