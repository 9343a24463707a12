"""The summaries' components: the same as networkx's, in an order where what a component
reaches always comes before it."""

from __future__ import annotations

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

from blastscope.graph.scc import strong_components

graphs = st.integers(min_value=1, max_value=40).flatmap(
    lambda n: st.lists(
        st.lists(st.integers(min_value=0, max_value=n - 1), max_size=6), min_size=n, max_size=n
    )
)


@settings(max_examples=300, deadline=None)
@given(graphs)
def test_components_match_networkx_sinks_first(succ: list[list[int]]) -> None:
    found = list(strong_components(succ))
    H = nx.DiGraph()
    H.add_nodes_from(range(len(succ)))
    H.add_edges_from((v, w) for v, out in enumerate(succ) for w in out)
    assert sorted(map(sorted, found)) == sorted(map(sorted, nx.strongly_connected_components(H)))
    position = {v: i for i, members in enumerate(found) for v in members}
    for v, out in enumerate(succ):
        assert all(position[w] <= position[v] for w in out)


def test_a_long_chain_does_not_recurse() -> None:
    n = 200_000
    succ = [[v + 1] for v in range(n - 1)] + [[0]]
    (only,) = strong_components(succ)
    assert len(only) == n
