"""Load desired-state/: one YAML file per environment, every problem in every file reported at once.

`load_desired_state` is the one entry point; it raises `InvalidInput` with each problem at FILE:LINE:COL.
"""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType

from pydantic import ValidationError

from reconciler.desired.across import across_environments
from reconciler.desired.documents import Document, parse
from reconciler.desired.messages import kind_of, problems_for
from reconciler.desired.model import DesiredState, Environment
from reconciler.errors import InvalidInput, Problem

SUFFIXES = (".yaml", ".yml")
EXTENSION_PREFIX = "x-"


def environment_files(path: Path) -> list[Path]:
    """The environment files a path names: the file itself, or every *.yaml / *.yml directly in the directory."""
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in SUFFIXES and p.is_file())
    if path.is_file():
        return [path]
    raise InvalidInput([Problem(str(path), 0, 0, "no such file or directory")])


def load_environment(path: Path) -> tuple[Environment | None, Document | None, list[Problem]]:
    """Read and validate one environment file. Returns the environment (None when invalid) and its problems."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        return None, None, [Problem(str(path), 0, 0, f"cannot read the file: {e.strerror}")]
    document, problems = parse(raw, str(path))
    if document is None:
        return None, None, problems
    if document.root is None:
        return None, document, [Problem(str(path), 1, 1, "the file is empty; expected a mapping with 'environment:'")]
    if not isinstance(document.data, dict):
        problem = document.problem(
            (), f"the top level must be a mapping (environment: …), not {kind_of(document.data)}"
        )
        return None, document, [*problems, problem]
    # Top-level `x-…` keys hold anchors to share (as in Compose files); they are not part of the desired state.
    data = {key: value for key, value in document.data.items() if not key.startswith(EXTENSION_PREFIX)}
    try:
        environment = Environment.model_validate(data)
    except ValidationError as e:
        # A value the YAML reader already refused (an unsupported tag) is not reported a second time.
        taken = {(problem.line, problem.column) for problem in problems}
        found = [p for p in problems_for(e.errors(), document, Environment) if (p.line, p.column) not in taken]
        return None, document, [*problems, *found]
    if problems:
        return None, document, problems
    expected = path.stem
    if environment.environment != expected:
        message = f"environment '{environment.environment}' must be named like its file, '{expected}'"
        return None, document, [document.problem(("environment",), message)]
    return environment, document, []


def load_desired_state(path: Path) -> DesiredState:
    """Load and validate every environment under `path` (a directory or one file); raise InvalidInput on any problem."""
    files = environment_files(path)
    if not files:
        raise InvalidInput([Problem(str(path), 0, 0, "no environment files (*.yaml) here")])
    problems: list[Problem] = []
    environments: dict[str, Environment] = {}
    sources: dict[str, Path] = {}
    documents: dict[str, Document] = {}
    for file in files:
        environment, document, found = load_environment(file)
        problems += found
        if environment is None or document is None:
            continue
        if environment.name in environments:
            other = sources[environment.name].name
            problems.append(document.problem(("environment",), f"environment '{environment.name}' is also in {other}"))
            continue
        environments[environment.name] = environment
        sources[environment.name] = file
        documents[environment.name] = document
    # Names that exist, valid or not, so that one broken file does not also fail its neighbours' promotion.
    known = {file.stem for file in files} | {file.stem for file in _siblings(path)}
    problems += across_environments(environments, documents, known)
    if problems:
        raise InvalidInput(sorted(set(problems)))
    return DesiredState(MappingProxyType(environments), MappingProxyType(sources))


def _siblings(path: Path) -> list[Path]:
    """When one file is validated alone, its directory's other files still count as environments."""
    if path.is_dir():
        return []
    return [p for p in path.parent.iterdir() if p.suffix in SUFFIXES and p.is_file()]
