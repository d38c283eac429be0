"""The check each port's contract makes of its adapters' method names and parameters."""
from __future__ import annotations

import inspect


def assert_implements(adapter: type, port: type, methods: int) -> None:
    """Every public method of ``port`` (at least ``methods`` of them) exists on ``adapter``
    with the same parameters, by name and order."""
    wanted = {n: f for n, f in vars(port).items() if not n.startswith("_") and callable(f)}
    assert len(wanted) >= methods
    for name, method in wanted.items():
        implementation = getattr(adapter, name, None)
        assert callable(implementation), f"{adapter.__name__} lacks {name}"
        assert list(inspect.signature(implementation).parameters) == \
            list(inspect.signature(method).parameters), name
