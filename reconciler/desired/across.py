"""Checks that need more than one environment: promotion sources, promotion cycles, shared Railway targets."""

from __future__ import annotations

from collections.abc import Mapping, Set

from reconciler.desired.documents import Document
from reconciler.desired.model import Environment
from reconciler.errors import Problem


def _promotion_chain(name: str, environments: Mapping[str, Environment]) -> list[str] | None:
    """The chain name -> source -> … when it comes back to `name` (a cycle), else None."""
    chain = [name]
    current = environments[name].promotion_source
    while current is not None and current in environments and current not in chain:
        chain.append(current)
        current = environments[current].promotion_source
    return [*chain, name] if current == name else None


def across_environments(
    environments: Mapping[str, Environment], documents: Mapping[str, Document], known: Set[str]
) -> list[Problem]:
    """Problems between valid environments. `known` also holds names of files that failed on their own."""
    problems: list[Problem] = []
    targets: dict[tuple[str, str], str] = {}
    for name, environment in environments.items():
        document = documents[name]
        source = environment.promotion_source
        if source is not None and source not in known:
            listed = ", ".join(sorted(known - {name})) or "none"
            message = f"promotion source '{source}' is not an environment here (environments: {listed})"
            problems.append(document.problem(("promotion", "from"), message))
        elif source is not None and (chain := _promotion_chain(name, environments)) is not None:
            message = f"promotion goes round in a cycle: {' -> '.join(chain)}"
            problems.append(document.problem(("promotion", "from"), message))
        elif source is not None and source in environments:
            for service in environment.services:
                if service not in environments[source].services:
                    message = f"service '{service}' is not in {source}, so it can never be promoted from there"
                    problems.append(document.problem(("services", service), message, key=True))
        target = (environment.railway.project, environment.railway.environment)
        if target in targets:
            message = f"Railway {target[0]}/{target[1]} is also the target of environment '{targets[target]}'"
            problems.append(document.problem(("railway",), message))
        else:
            targets[target] = name
    return problems
