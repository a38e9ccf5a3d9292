"""Secrets by reference only: `{env: NAME}`, and the detection of literal credentials that never echoes them."""

import math
import re
from collections import Counter
from typing import Annotated, Any

from pydantic import BeforeValidator, Discriminator, Field, Tag, WithJsonSchema
from pydantic_core import PydanticCustomError

from reconciler.desired.base import Model

ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"

# Prefixes of well-known tokens. The reason names the kind, never the value.
_PREFIXES = (
    ("ghp_", "GitHub token"),
    ("gho_", "GitHub token"),
    ("ghu_", "GitHub token"),
    ("ghs_", "GitHub token"),
    ("ghr_", "GitHub token"),
    ("github_pat_", "GitHub token"),
    ("xoxb-", "Slack token"),
    ("xoxp-", "Slack token"),
    ("xoxa-", "Slack token"),
    ("xoxs-", "Slack token"),
    ("xapp-", "Slack token"),
    ("AKIA", "AWS access key"),
    ("ASIA", "AWS access key"),
    ("sk_live_", "Stripe key"),
    ("glpat-", "GitLab token"),
    ("npm_", "npm token"),
    ("-----BEGIN", "private key"),
)
_URL_PASSWORD = re.compile(r"[a-z][a-z0-9+.\-]*://[^/\s:@]*:[^/\s@]+@", re.IGNORECASE)
_JWT = re.compile(r"eyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}")
_WEBHOOK = re.compile(r"https://(hooks\.slack\.com/|discord(app)?\.com/api/webhooks/)", re.IGNORECASE)
_SECRET_NAME = re.compile(
    r"SECRET|TOKEN|PASSWORD|PASSWD|PASS$|API[_-]?KEY|PRIVATE|CREDENTIAL|AUTH|COOKIE|[_-]KEY$|^KEY$", re.IGNORECASE
)


class SecretRef(Model):
    """A secret named by reference: the reconciler reads it from this environment variable at run time."""

    env: str = Field(pattern=ENV_NAME, description="name of the environment variable that holds the secret")

    def __str__(self) -> str:
        return f"{{env: {self.env}}}"


def _entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def high_entropy(text: str) -> bool:
    """A long, random-looking string with no spaces: probably a password or key."""
    return len(text) >= 20 and " " not in text and _entropy(text) >= 3.5


def credential_kind(text: str, *, secret_context: bool = False) -> str | None:
    """What kind of credential `text` looks like ("GitHub token", "URL with a password", …), or None.

    With `secret_context` (a field or variable meant for a secret) a long high-entropy string also counts.
    """
    stripped = text.strip()
    for prefix, kind in _PREFIXES:
        if stripped.startswith(prefix) and (len(stripped) >= len(prefix) + 12 or prefix == "-----BEGIN"):
            return kind
    if _URL_PASSWORD.search(stripped):
        return "URL with a password"
    if _JWT.fullmatch(stripped):
        return "JSON Web Token"
    if _WEBHOOK.match(stripped):
        return "webhook URL"
    if secret_context and high_entropy(stripped):
        return "password or key"
    return None


def secret_name(name: str) -> bool:
    """Whether a variable or key name says it holds a secret (JWT_SECRET, API_KEY, PASSWORD…)."""
    return bool(_SECRET_NAME.search(name))


def literal_secret_message(kind: str | None) -> str:
    """The one message for a literal where a secret reference belongs; it never contains the literal."""
    what = f"this looks like a credential ({kind})" if kind else "this is a literal value"
    return (
        f"{what}: secrets must not be written in the desired state; remove it (rotate it if it was real) "
        "and reference it by name instead, e.g. {env: NAME}"
    )


def _reject_literal(value: Any) -> Any:
    if isinstance(value, str):
        kind = credential_kind(value, secret_context=True)
        raise PydanticCustomError("literal_secret", literal_secret_message(kind))
    if value is not None and not isinstance(value, dict | SecretRef):
        raise PydanticCustomError("secret_type", "expected a secret reference such as {env: NAME}")
    return value


# A field that holds a secret: only a reference is accepted.
Secret = Annotated[SecretRef, BeforeValidator(_reject_literal)]


def _check_plain(value: Any) -> Any:
    if isinstance(value, str) and (kind := credential_kind(value)):
        raise PydanticCustomError("literal_secret", literal_secret_message(kind))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return value


def _which(value: Any) -> str:
    return "secret" if isinstance(value, dict | SecretRef) else "value"


# A field that holds a plain value or a secret reference; a plain value that looks like a credential is refused.
ValueOrSecret = Annotated[
    Annotated[
        str,
        BeforeValidator(_check_plain),
        WithJsonSchema({"type": ["string", "integer", "boolean"]}),
        Tag("value"),
    ]
    | Annotated[SecretRef, Tag("secret")],
    Discriminator(_which),
]


def refs_in(value: Any) -> list[SecretRef]:
    """Every SecretRef inside a JSON-like tree (for smoke bodies)."""
    if isinstance(value, SecretRef):
        return [value]
    if isinstance(value, dict):
        return [ref for item in value.values() for ref in refs_in(item)]
    if isinstance(value, list):
        return [ref for item in value for ref in refs_in(item)]
    return []
