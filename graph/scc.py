"""Strongly connected components of an integer adjacency list, sinks first.

``networkx.condensation`` wants an ``nx.DiGraph``: building one from the ~800k hops the
exposed machines of a large estate reach costs more than the components themselves, and
the summaries need only the components in reverse topological order, which Tarjan's
algorithm emits as it goes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence


def strong_components(succ: Sequence[Sequence[int]]) -> Iterator[list[int]]:
    """Tarjan's algorithm, iterative: each component of nodes ``0 … len(succ) - 1`` is
    yielded after every component it reaches (``succ[v]``: the nodes v has an edge to).

    Examples:
        >>> list(strong_components([[1], [0, 2], [], [2]]))
        [[2], [1, 0], [3]]
    """
    n = len(succ)
    index = [0] * n  # 0: not visited yet; else the visit number, from 1
    low = [0] * n
    on_stack = [False] * n
    stack: list[int] = []
    counter = 0
    for root in range(n):
        if index[root]:
            continue
        counter += 1
        index[root] = low[root] = counter
        stack.append(root)
        on_stack[root] = True
        work = [(root, iter(succ[root]))]
        while work:
            v, edges = work[-1]
            for w in edges:
                if not index[w]:
                    counter += 1
                    index[w] = low[w] = counter
                    stack.append(w)
                    on_stack[w] = True
                    work.append((w, iter(succ[w])))
                    break
                if on_stack[w] and index[w] < low[v]:
                    low[v] = index[w]
            else:
                work.pop()
                if work:
                    u = work[-1][0]
                    if low[v] < low[u]:
                        low[u] = low[v]
                if low[v] == index[v]:
                    component = []
                    while True:
                        w = stack.pop()
                        on_stack[w] = False
                        component.append(w)
                        if w == v:
                            break
                    yield component
