"""Which operators a backend is able to execute together as one group."""

from dataclasses import dataclass
from typing import Callable, Hashable, Optional

from nengo.builder.operator import Operator

MergeKey = Optional[Hashable]


@dataclass(frozen=True)
class MergePolicy:
    """Tells a planner which operators may share a group.

    The backend supplies ``merge_key(op)``: operators whose keys are equal (and not None) may be
    merged when they are independent in the dependency graph. ``None`` means "never merge this
    operator with another". A key rather than a pairwise test keeps merging transitive, so a group
    never depends on the order in which its members were found.
    """

    merge_key: Callable[[Operator], MergeKey]

    def key(self, op: Operator) -> MergeKey:
        return self.merge_key(op)

    @classmethod
    def never(cls) -> "MergePolicy":
        """A policy that plans one operator per group."""
        return cls(lambda op: None)

    @classmethod
    def by_type(cls) -> "MergePolicy":
        """Merge operators of the exact same class (useful for tests and simple backends)."""
        return cls(lambda op: type(op))
