"""Planners: order operators into groups that respect the dependency graph.

A planner takes an operator list and a `MergePolicy` and returns a tuple of operator tuples.
Every operator appears in exactly one group, every group holds operators with the same (non-None)
merge key or a single operator, and no operator comes before an operator it depends on.
"""

from collections import defaultdict
from typing import Callable, Sequence

from nengo.builder.operator import Operator
from nengo.exceptions import BuildError
from nengo.utils.graphs import toposort
from nengo.utils.simulator import operator_dependency_graph

from .merge_policy import MergePolicy

Groups = tuple[tuple[Operator, ...], ...]
Planner = Callable[[Sequence[Operator], MergePolicy], Groups]


def noop_planner(operators: Sequence[Operator], policy: MergePolicy) -> Groups:
    """One operator per group, in nengo's own topological order (no merging)."""
    del policy  # merges nothing, whatever the backend allows
    return tuple((op,) for op in toposort(operator_dependency_graph(operators)))


def greedy_planner(operators: Sequence[Operator], policy: MergePolicy) -> Groups:
    """Repeatedly schedule a set of ready operators that share a merge key.

    "Ready" means every operator it depends on has been scheduled, so the members of a group are
    independent of each other. Operators that never merge go first (waiting cannot grow their
    group, and running them releases their successors). Then the key with the largest share of
    its remaining operators ready goes, so a kind of operator waits while most of its members are
    still blocked; ties go to the larger group, then to the key that became ready first, which
    makes the plan deterministic for a given operator order.
    """
    operators = list(operators)
    order = {op: i for i, op in enumerate(operators)}
    dg = operator_dependency_graph(operators)
    n_preds = dict.fromkeys(operators, 0)
    for op in operators:
        for succ in dg[op]:
            n_preds[succ] += 1

    def bucket(op):
        key = policy.key(op)
        return ("solo", order[op]) if key is None else ("key", key)

    buckets = {op: bucket(op) for op in operators}
    remaining = defaultdict(int)
    for b in buckets.values():
        remaining[b] += 1
    ready: dict = defaultdict(list)  # bucket -> ready ops (dicts keep insertion order)
    for op in operators:
        if n_preds[op] == 0:
            ready[buckets[op]].append(op)

    def priority(b):
        return (b[0] == "solo", len(ready[b]) / remaining[b], len(ready[b]))

    groups = []
    while ready:
        best = max(ready, key=priority)
        group = ready.pop(best)
        remaining[best] -= len(group)
        groups.append(tuple(sorted(group, key=order.__getitem__)))
        for op in group:
            for succ in dg[op]:
                n_preds[succ] -= 1
                if n_preds[succ] == 0:
                    ready[buckets[succ]].append(succ)

    n_planned = sum(len(g) for g in groups)
    if n_planned != len(operators):
        raise BuildError(
            f"Operator graph has a cycle: planned {n_planned} of {len(operators)} operators"
        )
    return tuple(groups)


PLANNERS = {"greedy": greedy_planner, "noop": noop_planner}


def get_planner(planner) -> Planner:
    """Look up a planner by name, or return a planner callable unchanged."""
    if callable(planner):
        return planner
    try:
        return PLANNERS[planner]
    except KeyError:
        raise BuildError(
            f"Unknown planner {planner!r}; choose one of {sorted(PLANNERS)} or pass a function"
        ) from None
