"""One service of an environment: its source, replicas and autoscaling, checks, migrations, variables, smoke tests."""

from datetime import timedelta
from typing import Annotated, Any, Literal, Self

from pydantic import Field, model_validator

from reconciler.desired.base import Location, Model, fail
from reconciler.desired.durations import Duration
from reconciler.desired.secrets import (
    ENV_NAME,
    SecretRef,
    ValueOrSecret,
    credential_kind,
    literal_secret_message,
    secret_name,
)

_PATH = r"^/"
_NAME = r"^[a-z0-9][a-z0-9_-]*$"


class Autoscaling(Model):
    """Replica bounds and targets; autoscaling moves replicas only inside [min, max] (Kubernetes HPA semantics)."""

    min: int = Field(ge=1, description="fewest replicas")
    max: int = Field(ge=1, le=100, description="most replicas")
    cpu_percent: int | None = Field(default=None, ge=1, le=100, description="target average CPU use, percent")
    memory_percent: int | None = Field(default=None, ge=1, le=100, description="target average memory use, percent")
    scale_down_window: Duration = Field(
        default=timedelta(minutes=5),
        description="stabilisation window: scale down only to the highest recommendation in it",
    )

    @model_validator(mode="after")
    def _bounds(self) -> Self:
        problems: list[tuple[Location, str]] = []
        if self.min > self.max:
            problems.append((("min",), f"autoscaling min ({self.min}) is greater than max ({self.max})"))
        if self.cpu_percent is None and self.memory_percent is None:
            problems.append(((), "autoscaling needs a target: cpu_percent, memory_percent or both"))
        fail(problems)
        return self


class HealthCheck(Model):
    """The health endpoint that must answer before a deployment counts as healthy."""

    path: str = Field(pattern=_PATH, description="HTTP path, e.g. /health")
    timeout: Duration = Field(
        default=timedelta(seconds=300), description="how long a new deployment may take to turn healthy"
    )
    expect: dict[str, Any] | None = Field(
        default=None, description="JSON that the response must contain (a subset match), e.g. {status: ok}"
    )


class VersionCheck(Model):
    """The endpoint that reports the running version; after a deploy it must equal the target version."""

    path: str = Field(pattern=_PATH, description="HTTP path, e.g. /version")
    field: str = Field(default="version", description="dotted path of the version in the JSON response")


class Migrations(Model):
    """Database migrations, run as Railway's pre-deploy command, behind a verified backup."""

    command: str = Field(min_length=1, description="command that applies pending migrations")
    table: str | None = Field(
        default=None, description="table that records applied migrations, e.g. _prisma_migrations"
    )
    waive_backup_before_migrations: bool = Field(
        default=False,
        description="run migrations even though backups are not required before deploy (explicit, discouraged)",
    )


class Variables(Model):
    """Service variables: names that must be set (values live in Railway), and plain values that git owns."""

    required: list[Annotated[str, Field(pattern=ENV_NAME)]] = Field(
        default=[], description="variable names that must exist in Railway"
    )
    values: dict[str, ValueOrSecret] = Field(
        default={}, description="variables whose value git owns: a plain value or {env: NAME}"
    )

    @model_validator(mode="after")
    def _no_literal_secrets(self) -> Self:
        problems: list[tuple[Location, str]] = []
        for name, value in self.values.items():
            if isinstance(value, str) and secret_name(name) and (kind := credential_kind(value, secret_context=True)):
                problems.append((("values", name), literal_secret_message(kind)))
        fail(problems)
        return self


class SmokeExpect(Model):
    """What a smoke request's response must show."""

    status: int = Field(default=200, ge=100, le=599, description="HTTP status code")
    json_has: list[str] = Field(default=[], description="top-level keys the JSON body must have")


def _json_tree(value: Any, path: Location = ()) -> tuple[Any, list[tuple[Location, str]]]:
    """Turn `{env: NAME}` leaves into SecretRefs; collect credential-looking literals (positions, never values)."""
    if isinstance(value, dict):
        if set(value) == {"env"} and isinstance(value["env"], str):
            return SecretRef(env=value["env"]), []
        items, problems = {}, []
        for key, item in value.items():
            items[key], found = _json_tree(item, (*path, key))
            if isinstance(item, str) and item and secret_name(str(key)):
                # A key named like a credential (password, token…) holds one, however harmless it looks.
                found = [((*path, key), literal_secret_message(credential_kind(item, secret_context=True)))]
            problems += found
        return items, problems
    if isinstance(value, list):
        out, problems = [], []
        for index, item in enumerate(value):
            converted, found = _json_tree(item, (*path, index))
            out.append(converted)
            problems += found
        return out, problems
    if isinstance(value, str) and (kind := credential_kind(value)):
        return value, [(path, literal_secret_message(kind))]
    return value, []


class SmokeRequest(Model):
    """One HTTP request made after a deploy; secrets in its headers or body are references."""

    name: str = Field(min_length=1, description="short name shown in reports")
    method: Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] = Field(default="GET", description="HTTP method")
    path: str = Field(pattern=_PATH, description="HTTP path")
    headers: dict[str, ValueOrSecret] = Field(default={}, description="request headers")
    json_body: Any = Field(default=None, alias="json", description="JSON body; any leaf may be {env: NAME}")
    timeout: Duration = Field(default=timedelta(seconds=10), description="how long to wait for the response")
    expect: SmokeExpect = Field(default_factory=lambda: SmokeExpect(), description="what the response must show")

    @model_validator(mode="before")
    @classmethod
    def _body(cls, data: Any) -> Any:
        if isinstance(data, dict) and "json" in data:
            body, problems = _json_tree(data["json"])
            fail([(("json", *loc), message) for loc, message in problems])
            data = {**data, "json": body}
        return data

    @model_validator(mode="after")
    def _no_literal_credentials(self) -> Self:
        # A header named like a credential (Authorization, X-Api-Key…) holds one whatever its value looks like.
        fail(
            [
                (("headers", name), literal_secret_message(credential_kind(value, secret_context=True)))
                for name, value in self.headers.items()
                if isinstance(value, str) and value and secret_name(name)
            ]
        )
        return self


class Service(Model):
    """One Railway service: what runs (image + version, or repo + commit), how many, and how it is checked."""

    image: str | None = Field(default=None, description="container image without tag, e.g. ghcr.io/fixia/api")
    version: str | None = Field(default=None, min_length=1, description="image tag to run, e.g. 1.4.2")
    repo: str | None = Field(default=None, pattern=r"^[\w.-]+/[\w.-]+$", description="GitHub repository owner/name")
    commit: str | None = Field(default=None, pattern=r"^[0-9a-f]{7,40}$", description="commit SHA to deploy from repo")
    replicas: int = Field(default=1, ge=0, le=100, description="replica count (with autoscaling: the starting count)")
    autoscaling: Autoscaling | None = Field(default=None, description="replica bounds and targets")
    healthcheck: HealthCheck | None = Field(default=None, description="health endpoint checked after each deploy")
    version_check: VersionCheck | None = Field(default=None, description="version endpoint checked after each deploy")
    migrations: Migrations | None = Field(default=None, description="migrations run before the new version starts")
    variables: Variables = Field(default_factory=lambda: Variables(), description="required and git-owned variables")
    smoke: list[SmokeRequest] = Field(default=[], description="requests that must succeed after deploy")

    @property
    def source(self) -> Literal["image", "repo"]:
        return "image" if self.image is not None else "repo"

    @property
    def target_version(self) -> str:
        """What `/version` must report after a deploy: the image tag, or the commit SHA."""
        return self.version if self.version is not None else str(self.commit)

    @property
    def image_ref(self) -> str | None:
        return f"{self.image}:{self.version}" if self.image is not None else None

    @property
    def replica_bounds(self) -> tuple[int, int]:
        """The bounds autoscaling may move replicas in; (replicas, replicas) without autoscaling."""
        if self.autoscaling is None:
            return (self.replicas, self.replicas)
        return (self.autoscaling.min, self.autoscaling.max)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems: list[tuple[Location, str]] = []
        if self.image is not None and self.repo is not None:
            problems.append((("repo",), "a service runs either an image (image + version) or a repo (repo + commit)"))
        elif self.image is not None and self.version is None:
            problems.append(((), "missing required key 'version' (the image tag to run)"))
        elif self.repo is not None and self.commit is None:
            problems.append(((), "missing required key 'commit' (the commit to deploy from repo)"))
        elif self.image is None and self.repo is None:
            problems.append(((), "a service needs a source: image + version, or repo + commit"))
        if self.image is None and self.version is not None and self.repo is not None:
            problems.append((("version",), "version goes with image; a repo source is pinned by commit"))
        if self.autoscaling is not None:
            low, high = self.autoscaling.min, self.autoscaling.max
            if low <= high and not low <= self.replicas <= high:
                problems.append(
                    (("replicas",), f"replicas ({self.replicas}) is outside the autoscaling bounds {low}-{high}")
                )
        names = [request.name for request in self.smoke]
        for index, name in enumerate(names):
            if name in names[:index]:
                problems.append((("smoke", index, "name"), f"smoke request name '{name}' is used twice"))
        fail(problems)
        return self


SERVICE_NAME = _NAME
