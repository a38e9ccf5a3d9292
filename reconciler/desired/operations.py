"""Running the environment over time: drift policy, maintenance tasks per cadence, notifications."""

from typing import Annotated, Any, Literal, Self

from pydantic import BeforeValidator, Field, model_validator

from reconciler.desired.base import KEY, Location, Model, did_you_mean, fail
from reconciler.desired.secrets import Secret

DriftAction = Literal["correct", "report", "adopt"]

# Fields of a service that drift detection compares, live against git.
DRIFT_FIELDS = ("version", "image", "replicas", "autoscaling", "healthcheck", "migrations", "variables")


class DriftPolicy(Model):
    """What to do when live differs from git, per field: correct it, report it in an issue, or adopt it into git."""

    default: DriftAction = Field(default="report", description="policy for fields not listed")
    fields: dict[str, DriftAction] = Field(default={}, description="policy per field, e.g. {replicas: adopt}")

    @model_validator(mode="after")
    def _known_fields(self) -> Self:
        problems: list[tuple[Location, str]] = []
        for name in self.fields:
            if name not in DRIFT_FIELDS:
                hint = did_you_mean(name, DRIFT_FIELDS) or f" (known: {', '.join(DRIFT_FIELDS)})"
                problems.append((("fields", name, KEY), f"unknown drift field '{name}'{hint}"))
        fail(problems)
        return self

    def policy_for(self, field: str) -> str:
        """The action for one field: its own policy, else the default."""
        return self.fields.get(field, self.default)


# Checks the reconciler can run by itself; a task without a check is a checklist item for a person.
MaintenanceCheck = Literal[
    "error_logs",
    "backup_fresh",
    "restore_test",
    "slow_queries",
    "database_size",
    "connections",
    "capacity",
    "security_audit",
    "disaster_recovery_drill",
    "dependency_updates",
]


class MaintenanceTask(Model):
    """One maintenance task: an automated check, a checklist item for a person, or both."""

    name: str = Field(min_length=1, description="what to do, as shown in the checklist issue")
    check: MaintenanceCheck | None = Field(
        default=None, description="automated check the reconciler runs for this task"
    )
    notes: str | None = Field(default=None, description="how to do it, for the person ticking the box")


def _task_from_text(value: Any) -> Any:
    return {"name": value} if isinstance(value, str) else value


class _TextOrTaskSchema:
    """In the JSON Schema, a task is its mapping or just its name (a checklist item)."""

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> dict[str, Any]:
        return {"anyOf": [{"type": "string", "description": "a checklist item, by name"}, handler(core_schema)]}


# A task written as plain text is a checklist item with that name.
Task = Annotated[MaintenanceTask, BeforeValidator(_task_from_text), _TextOrTaskSchema()]


class Maintenance(Model):
    """Maintenance tasks per cadence; each period gets one checklist issue, and the automated checks run."""

    daily: list[Task] = Field(default=[], description="every day")
    weekly: list[Task] = Field(default=[], description="every Monday")
    monthly: list[Task] = Field(default=[], description="on the first day of each month")
    quarterly: list[Task] = Field(default=[], description="on the first day of each quarter")

    @model_validator(mode="after")
    def _unique_names(self) -> Self:
        problems: list[tuple[Location, str]] = []
        for cadence in ("daily", "weekly", "monthly", "quarterly"):
            tasks: list[MaintenanceTask] = getattr(self, cadence)
            names = [task.name for task in tasks]
            for index, name in enumerate(names):
                if name in names[:index]:
                    problems.append(((cadence, index, "name"), f"{cadence} task '{name}' is listed twice"))
        fail(problems)
        return self

    def tasks(self) -> dict[str, list[MaintenanceTask]]:
        return {"daily": self.daily, "weekly": self.weekly, "monthly": self.monthly, "quarterly": self.quarterly}


NotificationEvent = Literal[
    "deploy_succeeded", "deploy_failed", "rollback", "drift", "backup_failed", "maintenance", "gate_refused"
]


def _events_default() -> list[NotificationEvent]:
    return ["deploy_succeeded", "deploy_failed", "rollback", "drift", "backup_failed"]


class Notifications(Model):
    """Where to tell people; every target is a secret reference (webhook URLs are credentials)."""

    slack: Secret | None = Field(default=None, description="Slack incoming-webhook URL, by reference")
    webhook: Secret | None = Field(default=None, description="generic JSON webhook URL, by reference")
    events: list[NotificationEvent] = Field(
        default_factory=_events_default,
        description="which events are sent",
    )
