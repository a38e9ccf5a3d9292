"""Executing one GraphQL request against Railway's schema: parse, validate, authorise, resolve.

Unparseable requests get HTTP 400; invalid documents, refused auth and resolver errors come back as HTTP 200 with
an `errors` array, as Railway's API answers. A field the emulator does not resolve is an error naming the field.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TypeGuard

from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLResolveInfo,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    execute,
    parse,
    validate,
)

from reconciler.sandbox.railway import mutations, queries
from reconciler.sandbox.railway.emulator import Emulator
from reconciler.sandbox.railway.resolvers import MUTATION, QUERY, Auth, check_scope

# Importing the resolver modules fills the tables; name them so the import is not "unused".
RESOLVER_MODULES = (queries, mutations)


@dataclass(frozen=True)
class Context:
    emulator: Emulator
    auth: Auth


def not_implemented(type_name: str, field_name: str) -> GraphQLError:
    return GraphQLError(
        f"not implemented by the emulator: {type_name}.{field_name}", extensions={"code": "NOT_IMPLEMENTED"}
    )


def resolve_field(source: Any, info: GraphQLResolveInfo[Context], **args: Any) -> Any:
    """The one field resolver: root fields from the resolver tables, others from view dicts, never a silent null."""
    parent, name = info.parent_type.name, info.field_name
    if parent in ("Query", "Mutation"):
        resolver = (QUERY if parent == "Query" else MUTATION).get(name)
        if resolver is None:
            raise not_implemented(parent, name)
        context: Context = info.context
        check_scope(context.emulator, context.auth, name, args)
        return resolver(context.emulator, context.auth, **args)
    if not isinstance(source, dict) or name not in source:
        raise not_implemented(parent, name)
    value = source[name]
    return value(**args) if callable(value) else value


@dataclass(frozen=True)
class Prepared:
    document: DocumentNode | None
    errors: tuple[GraphQLError, ...]
    syntax_error: bool

    def operation_name(self, requested: str | None) -> str | None:
        if requested or self.document is None:
            return requested
        operations = [d for d in self.document.definitions if isinstance(d, OperationDefinitionNode)]
        if len(operations) == 1 and operations[0].name is not None:
            return operations[0].name.value
        return None

    def operation_type(self, requested: str | None) -> OperationType | None:
        if self.document is None:
            return None
        for definition in self.document.definitions:
            if isinstance(definition, OperationDefinitionNode) and (
                requested is None or (definition.name is not None and definition.name.value == requested)
            ):
                return definition.operation
        return None


@functools.lru_cache(maxsize=512)
def prepare(schema: GraphQLSchema, source: str) -> Prepared:
    """Parse and validate once per distinct document: clients send the same few documents over and over."""
    try:
        document = parse(source)
    except GraphQLError as error:
        return Prepared(None, (error,), True)
    return Prepared(document, tuple(validate(schema, document)), False)


def _never_awaitable(value: Any) -> TypeGuard[Awaitable[Any]]:
    return False


def _formatted(errors: tuple[GraphQLError, ...] | list[GraphQLError], code: str | None = None) -> list[Any]:
    result = []
    for error in errors:
        item = dict(error.formatted)
        if code and not item.get("extensions"):
            item["extensions"] = {"code": code}
        result.append(item)
    return result


def run(schema: GraphQLSchema, emulator: Emulator, body: Any, auth: Auth | None) -> tuple[int, dict[str, Any]]:
    """(HTTP status, JSON body) for one request body."""
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        return 400, {"errors": [{"message": "Must provide query string.", "extensions": {"code": "BAD_REQUEST"}}]}
    variables = body.get("variables")
    if variables is not None and not isinstance(variables, dict):
        return 400, {"errors": [{"message": "Variables must be an object.", "extensions": {"code": "BAD_REQUEST"}}]}
    prepared = prepare(schema, body["query"])
    if prepared.syntax_error:
        return 400, {"errors": _formatted(prepared.errors, "GRAPHQL_PARSE_FAILED")}
    if prepared.errors:
        return 200, {"errors": _formatted(prepared.errors, "GRAPHQL_VALIDATION_FAILED")}
    if auth is None:
        return 200, {"data": None, "errors": [{"message": "Not Authorized", "extensions": {"code": "UNAUTHORIZED"}}]}
    operation_name = body.get("operationName")
    if prepared.operation_type(operation_name) == OperationType.SUBSCRIPTION:
        message = "not implemented by the emulator: subscriptions over HTTP"
        return 200, {"errors": [{"message": message, "extensions": {"code": "NOT_IMPLEMENTED"}}]}
    assert prepared.document is not None
    # One request sees one consistent state: the lifecycle threads wait while it resolves.
    with emulator.lock:
        result = execute(
            schema,
            prepared.document,
            context_value=Context(emulator, auth),
            variable_values=variables,
            operation_name=operation_name,
            field_resolver=resolve_field,
            # Every resolver is synchronous: skipping the awaitable check on each value saves about a tenth.
            is_awaitable=_never_awaitable,
        )
    if not isinstance(result, ExecutionResult):
        raise TypeError("the emulator's resolvers are synchronous")
    payload: dict[str, Any] = {"data": result.data}
    if result.errors:
        payload["errors"] = _formatted(result.errors)
    return 200, payload
