"""The base of every desired-state model, and the way cross-field checks report located problems."""

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict
from pydantic_core import PydanticCustomError

# A path inside a model, relative to the model that found the problem, e.g. ("autoscaling", "max").
Location = tuple[str | int, ...]


class Model(BaseModel):
    """Frozen, strict (YAML already gives real types), unknown keys refused, YAML names (aliases) accepted."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, populate_by_name=True)


def fail(problems: Sequence[tuple[Location, str]]) -> None:
    """Raise one validation error carrying several located problems (the loader places each one in the file).

    A model validator can raise only one error; the loader expands `ctx["problems"]` into one problem each.
    """
    if problems:
        detail = "; ".join(message for _, message in problems)
        raise PydanticCustomError("cross_field", "{detail}", {"detail": detail, "problems": tuple(problems)})
