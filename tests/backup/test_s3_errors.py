"""Each S3 failure says what it is and what to set: credentials, endpoint, bucket, permission, object lock.

Against a real SeaweedFS (it checks signatures and has a read-only identity) and the real CLI; an expired session
token only through botocore's own exception, since no local server issues session tokens.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from reconciler.providers.s3 import (
    S3,
    AccessDenied,
    BucketMissing,
    CredentialsRejected,
    Encryption,
    Lock,
    ObjectLockRefused,
    ObjectMissing,
    S3Unreachable,
    translate,
)
from reconciler.sandbox.s3 import SeaweedServer, free_ports
from tests.backup.test_cli import Cli, desired
from tests.fixtures.s3 import S3Bucket

pytestmark = pytest.mark.integration

PLANTED_KEY = "AKIAPLANTED7F3A9C1E"
PLANTED_SECRET = "planted-secret-7f3a9c1e/abc+def"
HINT = "set AWS credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, an AWS profile, or in GitHub Actions an OIDC"


@pytest.fixture
def no_aws_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No credentials anywhere boto3 looks: no files, no instance metadata (the env is cleaned by conftest)."""
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_REGION", "us-east-1")


def test_backup_list_without_credentials_says_what_to_set(
    seaweed_server: SeaweedServer,
    no_aws_config: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", seaweed_server.endpoint_url)
    cli = Cli(capsys, desired(tmp_path, "fixia-backups"))
    code, out, err = cli("list")
    assert (code, out) == (1, "")
    assert err.startswith(f"error: S3 list fixia-backups/staging/: no AWS credentials found; {HINT}")
    assert "AWS_ENDPOINT_URL (or --endpoint-url)" in err and "NoCredentialsError" not in err
    assert "did not answer" not in err and len(err.splitlines()) == 1


def test_half_set_credentials_name_the_missing_variable(
    seaweed_server: SeaweedServer, no_aws_config: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", PLANTED_KEY)
    with pytest.raises(CredentialsRejected) as caught:
        S3(seaweed_server.endpoint_url).list_objects("anything", "p/")
    message = str(caught.value)
    assert message.startswith("S3 client: incomplete AWS credentials (AWS_SECRET_ACCESS_KEY missing); ")
    assert PLANTED_KEY not in message


@pytest.mark.parametrize(
    ("key", "secret", "code", "words"),
    [
        (PLANTED_KEY, PLANTED_SECRET, "InvalidAccessKeyId", "the access key id is not known to the service"),
        ("sandbox-access-key", PLANTED_SECRET, "SignatureDoesNotMatch", "the secret access key does not match"),
    ],
    ids=["unknown-key", "wrong-secret"],
)
def test_rejected_credentials_are_named_and_never_echoed(
    seaweed_bucket: S3Bucket, monkeypatch: pytest.MonkeyPatch, key: str, secret: str, code: str, words: str
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    with pytest.raises(CredentialsRejected) as caught:
        S3(seaweed_bucket.endpoint_url).list_objects(seaweed_bucket.name, "p/")
    message = str(caught.value)
    assert message.startswith(f"S3 list {seaweed_bucket.name}/p/: {code}: {words}") and HINT in message
    assert PLANTED_KEY not in message and PLANTED_SECRET not in message


@pytest.mark.parametrize("code", ["ExpiredToken", "InvalidToken", "TokenRefreshRequired"])
def test_expired_or_invalid_session_tokens_are_credential_errors(code: str) -> None:
    from botocore.exceptions import ClientError

    response: dict = {  # type: ignore[type-arg]
        "Error": {"Code": code, "Message": f"token for {PLANTED_KEY} is no good"},
        "ResponseMetadata": {"HTTPStatusCode": 400},
    }
    error = translate(ClientError(response, "ListObjectsV2"), "list b/p/", bucket="b")  # type: ignore[arg-type]
    assert isinstance(error, CredentialsRejected)
    assert str(error).startswith(f"S3 list b/p/: {code}: the session token ") and HINT in str(error)
    assert PLANTED_KEY not in str(error)


def test_an_endpoint_that_does_not_answer_is_unreachable_not_a_credential_problem(
    seaweed_bucket: S3Bucket,
) -> None:
    endpoint = f"http://127.0.0.1:{free_ports(1)[0]}"
    with pytest.raises(S3Unreachable) as caught:
        S3(endpoint, max_attempts=1, connect_timeout=2).list_objects("b", "p/")
    assert str(caught.value) == (
        f"S3 list b/p/: the S3 endpoint {endpoint} did not answer (could not connect);"
        " check AWS_ENDPOINT_URL (or --endpoint-url) and the network"
    )


def test_a_missing_bucket_is_named_with_its_endpoint(seaweed_bucket: S3Bucket) -> None:
    with pytest.raises(BucketMissing) as caught:
        seaweed_bucket.s3.list_objects("no-such-bucket-here", "staging/")
    assert str(caught.value).startswith(
        f"S3 list no-such-bucket-here/staging/: bucket no-such-bucket-here does not exist at"
        f" {seaweed_bucket.endpoint_url} "
    )


def test_a_missing_key_is_not_a_missing_bucket(seaweed_bucket: S3Bucket) -> None:
    with pytest.raises(ObjectMissing, match=r"^S3 get p/none: no such object \(NoSuchKey\)$"):
        seaweed_bucket.s3.get(seaweed_bucket.name, "p/none")


def test_valid_credentials_without_permission_are_access_denied(
    seaweed_bucket: S3Bucket, seaweed_server: SeaweedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    seaweed_bucket.s3.put(seaweed_bucket.name, "p/a", b"x", encryption=Encryption())
    for name, value in seaweed_server.client_env(read_only=True).items():
        monkeypatch.setenv(name, value)
    reader = S3(seaweed_bucket.endpoint_url)
    assert [o.key for o in reader.list_objects(seaweed_bucket.name, "p/")] == ["p/a"]
    with pytest.raises(AccessDenied) as caught:
        reader.put(seaweed_bucket.name, "p/b", b"x", encryption=Encryption())
    assert str(caught.value).startswith(
        f"S3 put p/b: access denied (AccessDenied): the credentials work but may not do this on bucket"
        f" {seaweed_bucket.name}; "
    )
    with pytest.raises(AccessDenied, match=r"^S3 delete p/a: AccessDenied \(1 refused\): object lock retention"):
        reader.delete(seaweed_bucket.name, ["p/a"])


def test_object_lock_on_a_bucket_without_it_says_to_enable_it(seaweed_bucket: S3Bucket) -> None:
    lock = Lock("COMPLIANCE", datetime.now(UTC) + timedelta(days=1))
    with pytest.raises(ObjectLockRefused) as caught:
        seaweed_bucket.s3.put(seaweed_bucket.name, "p/locked", b"x", encryption=Encryption(), lock=lock)
    assert str(caught.value).startswith(
        f"S3 put p/locked: bucket {seaweed_bucket.name} refused object lock retention (InvalidRequest): the backups"
        " policy asks for object_lock, so enable object lock"
    )
