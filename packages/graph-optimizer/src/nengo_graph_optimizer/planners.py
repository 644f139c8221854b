"""Planners: order operators into groups that respect the dependency graph.

A planner takes an operator list and a `MergePolicy` and returns a tuple of operator tuples.
Every operator appears in exactly one group, every group holds operators with the same (non-None)
merge key or a single operator, and no operator comes before an operator it depends on. All
planners here are list schedulers over nengo's operator dependency graph; they differ in how they
choose the next group.
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


class _Schedule:
    """Scheduling state: which operators are ready, grouped into buckets of one merge key."""

    def __init__(self, operators, dg, bucket_of):
        self.order = {op: i for i, op in enumerate(operators)}
        self.dg = dg
        self.bucket_of = bucket_of
        self.n_preds = dict.fromkeys(operators, 0)
        for op in operators:
            for succ in dg[op]:
                self.n_preds[succ] += 1
        self.remaining = defaultdict(int)
        for op in operators:
            self.remaining[bucket_of[op]] += 1
        self.ready = defaultdict(list)  # bucket -> ready ops (dicts keep insertion order)
        for op in operators:
            if self.n_preds[op] == 0:
                self.ready[bucket_of[op]].append(op)
        self.groups = []

    def copy(self):
        new = object.__new__(_Schedule)
        new.order, new.dg, new.bucket_of = self.order, self.dg, self.bucket_of
        new.n_preds = dict(self.n_preds)
        new.remaining = defaultdict(int, self.remaining)
        new.ready = defaultdict(list, {k: list(v) for k, v in self.ready.items()})
        new.groups = []
        return new

    def priority(self, bucket):
        """Greedy preference: operators that never merge first (waiting cannot grow their
        group, and running them releases successors), then the bucket with the largest share of
        its remaining operators ready, then the larger group; ties go to the older bucket."""
        n_ready = len(self.ready[bucket])
        return bucket[0] == "solo", n_ready / self.remaining[bucket], n_ready

    def greedy_choice(self):
        return max(self.ready, key=self.priority)

    def schedule(self, bucket):
        group = self.ready.pop(bucket)
        self.remaining[bucket] -= len(group)
        self.groups.append(tuple(sorted(group, key=self.order.__getitem__)))
        for op in group:
            for succ in self.dg[op]:
                self.n_preds[succ] -= 1
                if self.n_preds[succ] == 0:
                    self.ready[self.bucket_of[succ]].append(succ)
        return len(group)


def _buckets(operators, policy):
    buckets = {}
    for i, op in enumerate(operators):
        key = policy.key(op)
        buckets[op] = ("solo", i) if key is None else ("key", key)
    return buckets


def _run(operators, bucket_of, choose) -> Groups:
    dg = operator_dependency_graph(operators)
    schedule = _Schedule(operators, dg, bucket_of)
    while schedule.ready:
        schedule.schedule(choose(schedule))
    n_planned = sum(len(g) for g in schedule.groups)
    if n_planned != len(operators):
        raise BuildError(
            f"Operator graph has a cycle: planned {n_planned} of {len(operators)} operators"
        )
    return tuple(schedule.groups)


def noop_planner(operators: Sequence[Operator], policy: MergePolicy) -> Groups:
    """One operator per group, in nengo's own topological order (no merging)."""
    del policy  # merges nothing, whatever the backend allows
    return tuple((op,) for op in toposort(operator_dependency_graph(operators)))


def greedy_planner(operators: Sequence[Operator], policy: MergePolicy) -> Groups:
    """Repeatedly schedule the ready operators of the bucket `_Schedule.priority` prefers."""
    operators = list(operators)
    return _run(operators, _buckets(operators, policy), lambda s: s.greedy_choice())


def tree_planner(operators: Sequence[Operator], policy: MergePolicy, depth: int = 3) -> Groups:
    """Greedy with look-ahead: try each ready bucket, follow it with ``depth - 1`` greedy
    choices, and take the bucket whose path schedules the most operators (fewest groups per
    operator); ties go to the greedy preference."""
    operators = list(operators)

    def choose(schedule):
        candidates = list(schedule.ready)
        if len(candidates) == 1 or any(b[0] == "solo" for b in candidates):
            return schedule.greedy_choice()

        def score(bucket):
            trial = schedule.copy()
            planned = trial.schedule(bucket)
            for _ in range(depth - 1):
                if not trial.ready:
                    break
                planned += trial.schedule(trial.greedy_choice())
            return planned, schedule.priority(bucket)

        return max(candidates, key=score)

    return _run(operators, _buckets(operators, policy), choose)


def transitive_planner(operators: Sequence[Operator], policy: MergePolicy) -> Groups:
    """Greedy over buckets refined by *transitive level*: an operator's level is one more than
    the highest level among its ancestors with the same merge key. Operators with equal key and
    level never depend on each other, so each bucket is one group when the greedy order allows,
    and operators at different depths of a chain are not held back waiting for each other."""
    operators = list(operators)
    buckets = _buckets(operators, policy)
    dg = operator_dependency_graph(operators)
    preds = defaultdict(list)
    for op, succs in dg.items():
        for succ in succs:
            preds[succ].append(op)
    ancestors = {}  # op -> {bucket key: highest level among ancestors with that key}
    refined = {}
    for op in toposort(dg):
        seen = {}
        for p in preds[op]:
            for key, level in ancestors[p].items():
                if level > seen.get(key, -1):
                    seen[key] = level
            if buckets[p][0] == "key":
                level = refined[p][1]
                if level > seen.get(buckets[p], -1):
                    seen[buckets[p]] = level
        ancestors[op] = seen
        refined[op] = (buckets[op], seen.get(buckets[op], -1) + 1)
    bucket_of = {
        op: buckets[op] if buckets[op][0] == "solo" else ("key", refined[op]) for op in operators
    }
    return _run(operators, bucket_of, lambda s: s.greedy_choice())


PLANNERS = {
    "greedy": greedy_planner,
    "tree": tree_planner,
    "transitive": transitive_planner,
    "noop": noop_planner,
}


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
