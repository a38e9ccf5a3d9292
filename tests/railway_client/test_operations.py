"""Every operation document the client sends is valid against Railway's schema and uses nothing deprecated."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.providers.railway import operations

graphql = pytest.importorskip("graphql")

REPO = Path(__file__).resolve().parents[2]
# Read at import: the autouse clean_environ fixture strips RECONCILER_* variables before each test runs.
_CONFIGURED = os.environ.get("RECONCILER_RAILWAY_SCHEMA")


def schema_path() -> Path:
    candidates = [
        Path(_CONFIGURED) if _CONFIGURED else None,
        REPO.parent / "shared" / "railway" / "schema.graphql",
        REPO / "reconciler" / "sandbox" / "railway" / "schema.graphql",
    ]
    for candidate in candidates:
        if candidate is not None and candidate.is_file():
            return candidate
    pytest.fail("Railway's schema.graphql not found (set RECONCILER_RAILWAY_SCHEMA)")


@pytest.fixture(scope="module")
def schema() -> object:
    # Railway's own SDL breaks one of graphql-core's schema rules (an interface field deprecated in one
    # implementation only); that says nothing about our documents, so schema self-validation is skipped.
    return graphql.build_schema(schema_path().read_text(encoding="utf-8"), assume_valid=True)


def deprecated_uses(schema: object, document: str) -> list[str]:
    """Every deprecated field, argument, enum value or input field the document uses."""
    type_info = graphql.TypeInfo(schema)
    found: list[str] = []

    class Visitor(graphql.Visitor):
        def enter_field(self, node: object, *_: object) -> None:
            field = type_info.get_field_def()
            parent = type_info.get_parent_type()
            if field is not None and field.deprecation_reason is not None:
                found.append(f"field {parent}.{node.name.value}: {field.deprecation_reason}")  # type: ignore[attr-defined]

        def enter_argument(self, node: object, *_: object) -> None:
            argument = type_info.get_argument()
            if argument is not None and argument.deprecation_reason is not None:
                found.append(f"argument {node.name.value}: {argument.deprecation_reason}")  # type: ignore[attr-defined]

        def enter_enum_value(self, node: object, *_: object) -> None:
            value = type_info.get_enum_value()
            if value is not None and value.deprecation_reason is not None:
                found.append(f"enum value {node.value}: {value.deprecation_reason}")  # type: ignore[attr-defined]

        def enter_object_field(self, node: object, *_: object) -> None:
            parent = graphql.get_named_type(type_info.get_parent_input_type())
            if isinstance(parent, graphql.GraphQLInputObjectType):
                field = parent.fields.get(node.name.value)  # type: ignore[attr-defined]
                if field is not None and field.deprecation_reason is not None:
                    found.append(f"input field {parent.name}.{node.name.value}")  # type: ignore[attr-defined]

    graphql.visit(graphql.parse(document), graphql.TypeInfoVisitor(type_info, Visitor()))
    return found


def test_the_client_ships_the_operations_it_needs() -> None:
    names = set(operations.operation_names())
    for needed in (
        "EnvironmentState",
        "EnvironmentPatchCommit",
        "EnvironmentStageChanges",
        "EnvironmentPatchCommitStaged",
        "ServiceInstanceDeployV2",
        "DeploymentEvents",
        "DeploymentRollback",
        "DeploymentRedeploy",
        "DeploymentRestart",
        "VariableCollectionUpsert",
        "Metrics",
        "HttpMetrics",
    ):
        assert needed in names


@pytest.mark.parametrize("name", operations.operation_names())
def test_operation_document_is_valid_against_railways_schema(schema: object, name: str) -> None:
    document = operations.document(name)
    errors = graphql.validate(schema, graphql.parse(document))
    assert [e.message for e in errors] == []
    definitions = [d for d in graphql.parse(document).definitions if isinstance(d, graphql.OperationDefinitionNode)]
    assert [d.name.value for d in definitions] == [name], "one operation per file, named like the file"


@pytest.mark.parametrize("name", operations.operation_names())
def test_operation_document_uses_nothing_deprecated(schema: object, name: str) -> None:
    assert deprecated_uses(schema, operations.document(name)) == []


def test_the_deprecation_check_catches_deprecated_fields_and_arguments(schema: object) -> None:
    document = """
      query Old($id: String!) {
        project(id: $id) { teamId deployments(first: 1) { edges { node { id } } } }
      }
    """
    assert graphql.validate(schema, graphql.parse(document)) == []
    uses = deprecated_uses(schema, document)
    assert any("Project.teamId" in u for u in uses)
    assert any("Project.deployments" in u for u in uses)


def test_schema_validation_rejects_a_field_railway_does_not_have(schema: object) -> None:
    # multiRegionConfig is an input only; reading it from a ServiceInstance is the classic mistake.
    document = 'query { serviceInstance(environmentId: "e", serviceId: "s") { multiRegionConfig } }'
    assert graphql.validate(schema, graphql.parse(document)) != []


def test_the_client_never_imports_graphql_core() -> None:
    code = (
        "import sys, reconciler.providers.railway as r, reconciler.providers.railway.client;"
        "assert not any(m == 'graphql' or m.startswith('graphql.') for m in sys.modules), 'graphql imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


def test_the_deprecation_check_catches_deprecated_arguments_and_input_fields() -> None:
    tiny = graphql.build_schema(
        """
        input In { old: Int @deprecated(reason: "gone"), new: Int }
        type Query { f(old: Int @deprecated(reason: "no"), new: Int, i: In): Int }
        """
    )
    assert deprecated_uses(tiny, "{ f(old: 1) }") == ["argument old: no"]
    assert deprecated_uses(tiny, "{ f(i: {old: 1}) }") == ["input field In.old"]
    assert deprecated_uses(tiny, "{ f(new: 1, i: {new: 2}) }") == []
