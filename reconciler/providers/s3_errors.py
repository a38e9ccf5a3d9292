"""How S3 failures read: botocore's exceptions as ours, each naming its cause and what to set or fix.

Credentials (none, half-set, unknown key, wrong secret, expired or invalid token), an endpoint that does not
answer, a missing bucket or key, access denied, object lock refused, a wrong region, a busy service. Messages never
quote a key or a request: botocore's own texts can hold both, so only error codes are used.
"""

from __future__ import annotations

from reconciler.errors import PermanentError, ProviderError, TemporaryError


class ObjectExists(PermanentError):
    """A create-only put found the key already there."""


class ObjectMissing(PermanentError):
    """The key does not exist."""


class BucketMissing(PermanentError):
    """The bucket does not exist (at this endpoint, for these credentials)."""


class CredentialsRejected(PermanentError):
    """No usable AWS credentials: none found, incomplete, unknown, wrong or expired."""


class AccessDenied(PermanentError):
    """The credentials are valid but not allowed this action (or object lock retention refuses it)."""


class ObjectLockRefused(PermanentError):
    """Object lock retention was asked for on a bucket that does not have object lock enabled."""


class S3Unreachable(TemporaryError):
    """The S3 endpoint did not answer (refused, timed out, closed the connection)."""


def error_code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


# What to set after any credential failure; never the key itself (botocore's own messages may quote it).
CREDENTIALS_HINT = (
    "set AWS credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, an AWS profile, or in GitHub Actions an"
    " OIDC role through aws-actions/configure-aws-credentials); for an S3-compatible service also set"
    " AWS_ENDPOINT_URL (or --endpoint-url)"
)
# Unknown keys, signatures made with the wrong secret, expired or invalid session tokens.
_CREDENTIAL_CODES = {
    "InvalidAccessKeyId": "the access key id is not known to the service",
    "SignatureDoesNotMatch": "the secret access key does not match the access key id",
    "ExpiredToken": "the session token has expired",
    "ExpiredTokenException": "the session token has expired",
    "TokenRefreshRequired": "the session token must be refreshed",
    "InvalidToken": "the session token is invalid",
    "InvalidClientTokenId": "the access key id or session token is invalid",
    "UnrecognizedClientException": "the access key id or session token is invalid",
}
_REGION_CODES = frozenset({"PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException"})
_MISSING_KEY_CODES = frozenset({"NoSuchKey", "NoSuchUpload", "404", "NotFound"})
_BUSY_CODES = frozenset({"SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable"})
_UNREACHABLE_WORDS = {
    "EndpointConnectionError": "could not connect",
    "ConnectTimeoutError": "connection timed out",
    "ReadTimeoutError": "no answer in time",
    "ConnectionClosedError": "connection closed before an answer",
    "ProxyConnectionError": "could not connect through the proxy",
    "SSLError": "TLS failed",
}


def endpoint_label(url: str | None) -> str:
    """scheme://host[:port] of an endpoint (never a path or query), or "AWS S3" for the default endpoint."""
    from urllib.parse import urlsplit

    parts = urlsplit(url or "")
    if not parts.hostname:
        return "AWS S3"
    return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")


def translate(
    error: Exception, action: str, *, bucket: str | None = None, endpoint: str | None = None, locking: bool = False
) -> ProviderError:
    """A boto error as one of ours, naming the cause and what to do; never request details nor credentials.

    `bucket` and `endpoint` make the message precise; `locking` says the request asked for object lock retention,
    so that an InvalidRequest means the bucket has no object lock.
    """
    from botocore import exceptions as bx

    where = f"bucket {bucket}" if bucket else "the bucket"
    if isinstance(error, bx.ClientError):
        code = error_code(error)
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        if code == "PreconditionFailed":
            return ObjectExists(f"S3 {action}: the object already exists")
        if code in _CREDENTIAL_CODES:
            return CredentialsRejected(f"S3 {action}: {code}: {_CREDENTIAL_CODES[code]}; {CREDENTIALS_HINT}")
        if code == "NoSuchBucket":
            return BucketMissing(
                f"S3 {action}: {where} does not exist at {endpoint_label(endpoint)}"
                " (check the policy's bucket, AWS_ENDPOINT_URL and AWS_REGION)"
            )
        if code in _MISSING_KEY_CODES:
            return ObjectMissing(f"S3 {action}: no such object ({code or status})")
        if code == "InvalidRequest" and locking:
            return ObjectLockRefused(
                f"S3 {action}: {where} refused object lock retention (InvalidRequest): the backups policy asks for"
                " object_lock, so enable object lock (and versioning) on the bucket, or remove object_lock"
            )
        if code in ("AccessDenied", "AllAccessDisabled") or status == 403:
            return AccessDenied(
                f"S3 {action}: access denied ({code or status}): the credentials work but may not do this on {where};"
                " the backup role needs s3:ListBucket, s3:GetObject, s3:PutObject, s3:DeleteObject and"
                " s3:AbortMultipartUpload there"
            )
        if code in _REGION_CODES or status == 301:
            return PermanentError(f"S3 {action}: {code or status}: {where} is in another region; set AWS_REGION to it")
        if status >= 500 or code in _BUSY_CODES:
            return TemporaryError(f"S3 {action}: {code or status}: the service is failing or busy; try again later")
        return PermanentError(f"S3 {action}: {code or status}")
    if isinstance(error, bx.NoCredentialsError | bx.NoAuthTokenError):
        return CredentialsRejected(f"S3 {action}: no AWS credentials found; {CREDENTIALS_HINT}")
    if isinstance(error, bx.PartialCredentialsError):
        # botocore's kwargs name the provider and the missing variable, never a value.
        missing = str(error.kwargs.get("cred_var") or "part of them")
        return CredentialsRejected(f"S3 {action}: incomplete AWS credentials ({missing} missing); {CREDENTIALS_HINT}")
    if isinstance(error, bx.CredentialRetrievalError | bx.TokenRetrievalError | bx.SSOError):
        provider = str(error.kwargs.get("provider") or type(error).__name__)
        return CredentialsRejected(
            f"S3 {action}: could not obtain AWS credentials from {provider} (refused or expired); {CREDENTIALS_HINT}"
        )
    if isinstance(error, bx.ConnectionError | bx.ConnectionClosedError | bx.ReadTimeoutError):
        url = endpoint or str(error.kwargs.get("endpoint_url") or "")
        what = _UNREACHABLE_WORDS.get(type(error).__name__, type(error).__name__)
        return S3Unreachable(
            f"S3 {action}: the S3 endpoint {endpoint_label(url)} did not answer ({what});"
            " check AWS_ENDPOINT_URL (or --endpoint-url) and the network"
        )
    return ProviderError(f"S3 {action}: {type(error).__name__}")
