"""nncost.tree.subtree_sums: numbers attached to modules after the count, rolled up their tree."""

from __future__ import annotations

from nncost.tree import subtree_sums


def test_subtree_sums_roll_up_and_find_the_nearest_node():
    paths = ["", "a", "a.b", "c"]  # pre-order, the root first
    own = {"": [1.0, 0.0], "a.b.x": [2.0, 1.0], "a": [4.0, 0.0], "c": [8.0, 2.0]}  # a.b.x is not a node: a.b takes it
    sums = dict(zip(paths, subtree_sums(paths, own, 2)))
    assert sums["a.b"] == [2.0, 1.0]
    assert sums["a"] == [4.0 + 2.0, 1.0]
    assert sums["c"] == [8.0, 2.0]
    assert sums[""] == [1.0 + 4.0 + 2.0 + 8.0, 1.0 + 2.0]
