"""S3 adapter over boto3: a bounded-memory streamed multipart upload, create-only puts, listing, deletes, lifecycle.

Any S3-compatible service works: the endpoint comes from the caller or `AWS_ENDPOINT_URL`, credentials the
standard boto3 way. boto3 and botocore types never leave this module; their exceptions become ours in `s3_errors`.
"""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from reconciler.errors import PermanentError, ProviderError
from reconciler.providers.s3_errors import (
    CREDENTIALS_HINT,
    AccessDenied,
    BucketMissing,
    CredentialsRejected,
    ObjectExists,
    ObjectLockRefused,
    ObjectMissing,
    S3Unreachable,
    error_code,
    translate,
)

__all__ = [
    "CREDENTIALS_HINT",
    "S3",
    "AccessDenied",
    "BucketMissing",
    "CredentialsRejected",
    "Encryption",
    "Lock",
    "ObjectExists",
    "ObjectLockRefused",
    "ObjectMissing",
    "S3Unreachable",
    "StoredObject",
    "Upload",
    "UploadResult",
    "part_size_for",
    "translate",
]

MIB = 1 << 20
MIN_PART = 5 * MIB
MAX_PARTS = 10_000
DEFAULT_PART = 16 * MIB
# How much of the next part must arrive before the previous one is sent (proof that it was not the last).
PEEK = MIB
_LIFECYCLE_RULE_ID = "reconciler-abort-incomplete-multipart-uploads"


class Readable(Protocol):
    def read(self, n: int = -1, /) -> bytes: ...


@dataclass(frozen=True)
class Encryption:
    """Server-side encryption for every object: `AES256` (S3-managed keys), `aws:kms` with an optional key id, or
    `none` (the bucket's default applies)."""

    mode: str = "AES256"
    kms_key_id: str | None = None

    def put_args(self) -> dict[str, str]:
        if self.mode == "none":
            return {}
        args = {"ServerSideEncryption": self.mode}
        if self.mode == "aws:kms" and self.kms_key_id:
            args["SSEKMSKeyId"] = self.kms_key_id
        return args


@dataclass(frozen=True)
class Lock:
    """Object-lock retention applied at upload: mode GOVERNANCE or COMPLIANCE until `until` (UTC)."""

    mode: str
    until: datetime

    def put_args(self) -> dict[str, Any]:
        return {"ObjectLockMode": self.mode, "ObjectLockRetainUntilDate": self.until}


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    last_modified: datetime


@dataclass(frozen=True)
class Upload:
    """An incomplete multipart upload."""

    key: str
    upload_id: str
    initiated: datetime


@dataclass(frozen=True)
class UploadResult:
    size: int
    parts: int
    part_size: int
    etag: str
    version_id: str | None


def part_size_for(expected_bytes: int, minimum: int = DEFAULT_PART) -> int:
    """A part size (whole MiB) that keeps an object of up to 1.25 x `expected_bytes` within 10,000 parts."""
    needed = -(-int(expected_bytes * 1.25) // MAX_PARTS)
    needed_mib = -(-needed // MIB) * MIB
    return max(minimum, MIN_PART, needed_mib)


class S3:
    """One boto3 S3 client: a resource, hence a class. Thread-safe as boto3 clients are."""

    def __init__(
        self,
        endpoint_url: str | None = None,
        *,
        region: str | None = None,
        max_attempts: int = 5,
        connect_timeout: float = 10,
        read_timeout: float = 60,
    ) -> None:
        import os

        self.endpoint_url = endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None
        region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        self._settings = (region, max_attempts, connect_timeout, read_timeout)
        self._made: Any = None
        self._failed: BaseException | None = None
        self._ready = threading.Event()
        self._started = False
        self._start_lock = threading.Lock()

    def prepare(self) -> None:
        """Start building the boto3 client in a thread (idempotent); the first use waits for it.

        Importing boto3 and building a client takes ~0.6 s of CPU: a backup calls this once pg_dump runs, so the
        work overlaps the dump instead of delaying its start (both imports would hold the same GIL).
        """
        with self._start_lock:
            if self._started:
                return
            self._started = True
        threading.Thread(target=self._build, args=self._settings, name="s3-client", daemon=True).start()

    def _build(self, region: str, max_attempts: int, connect_timeout: float, read_timeout: float) -> None:
        try:
            import boto3
            from botocore.config import Config
            from botocore.exceptions import BotoCoreError

            config = Config(
                retries={"max_attempts": max_attempts, "mode": "standard"},
                connect_timeout=connect_timeout,
                read_timeout=read_timeout,
                # S3-compatible servers on a bare host:port do not do virtual-hosted buckets.
                s3={"addressing_style": "path"} if self.endpoint_url else {},
                max_pool_connections=16,
            )
            # A session of its own: boto3's default session caches the first credentials it finds for the process.
            session = boto3.session.Session()
            try:
                self._made = session.client("s3", endpoint_url=self.endpoint_url, region_name=region, config=config)
            except BotoCoreError as e:  # half-set credentials fail here, before any request
                raise translate(e, "client", endpoint=self.endpoint_url) from e
        except BaseException as e:
            self._failed = e
        finally:
            self._ready.set()

    @property
    def _client(self) -> Any:
        """The boto3 client, once built; raises what building it raised (e.g. CredentialsRejected)."""
        self.prepare()
        self._ready.wait()
        if self._failed is not None:
            raise self._failed
        return self._made

    def _call(self, action: str, fn: Callable[..., Any], **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return fn(**kwargs)
        except (ClientError, BotoCoreError) as e:
            raise self._translate(e, action, kwargs.get("Bucket"), locking="ObjectLockMode" in kwargs) from e

    def _translate(self, error: Exception, action: str, bucket: str | None, *, locking: bool = False) -> ProviderError:
        return translate(error, action, bucket=bucket, endpoint=self.endpoint_url, locking=locking)

    # --- buckets -------------------------------------------------------------------------------------------------

    def create_bucket(self, bucket: str, *, object_lock: bool = False) -> None:
        """Create a bucket (the sandbox and tests; production buckets are made by their owners)."""
        kwargs: dict[str, Any] = {"Bucket": bucket}
        if object_lock:
            kwargs["ObjectLockEnabledForBucket"] = True
        self._call(f"create bucket {bucket}", self._client.create_bucket, **kwargs)

    def ensure_abort_incomplete_uploads(self, bucket: str, days: int = 3) -> bool:
        """Add (or keep) a lifecycle rule that aborts incomplete multipart uploads; True when it changed anything.

        Other rules on the bucket are kept: only our rule, found by its id, is added or replaced.
        """
        from botocore.exceptions import ClientError

        try:
            rules = self._client.get_bucket_lifecycle_configuration(Bucket=bucket).get("Rules", [])
        except ClientError as e:
            if error_code(e) not in ("NoSuchLifecycleConfiguration", "NoSuchLifecycle"):
                raise self._translate(e, f"read lifecycle of {bucket}", bucket) from e
            rules = []
        ours = {
            "ID": _LIFECYCLE_RULE_ID,
            "Status": "Enabled",
            "Filter": {"Prefix": ""},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": days},
        }
        existing = [r for r in rules if r.get("ID") == _LIFECYCLE_RULE_ID]
        if existing and existing[0].get("AbortIncompleteMultipartUpload") == ours["AbortIncompleteMultipartUpload"]:
            return False
        rules = [r for r in rules if r.get("ID") != _LIFECYCLE_RULE_ID] + [ours]
        self._call(
            f"write lifecycle of {bucket}",
            self._client.put_bucket_lifecycle_configuration,
            Bucket=bucket,
            LifecycleConfiguration={"Rules": rules},
        )
        return True

    def lifecycle_rules(self, bucket: str) -> list[dict[str, Any]]:
        from botocore.exceptions import ClientError

        try:
            return list(self._client.get_bucket_lifecycle_configuration(Bucket=bucket).get("Rules", []))
        except ClientError as e:
            if error_code(e) in ("NoSuchLifecycleConfiguration", "NoSuchLifecycle"):
                return []
            raise self._translate(e, f"read lifecycle of {bucket}", bucket) from e

    # --- objects -------------------------------------------------------------------------------------------------

    def put(
        self,
        bucket: str,
        key: str,
        body: bytes,
        *,
        encryption: Encryption,
        lock: Lock | None = None,
        create_only: bool = False,
        content_type: str = "application/octet-stream",
    ) -> None:
        """Put a small object; with `create_only`, fail with ObjectExists instead of overwriting (If-None-Match)."""
        kwargs: dict[str, Any] = {
            "Bucket": bucket,
            "Key": key,
            "Body": body,
            "ContentType": content_type,
            "ChecksumAlgorithm": "SHA256",
            **encryption.put_args(),
        }
        if lock:
            kwargs.update(lock.put_args())
        if create_only:
            kwargs["IfNoneMatch"] = "*"
        self._call(f"put {key}", self._client.put_object, **kwargs)

    def get(self, bucket: str, key: str) -> bytes:
        response = self._call(f"get {key}", self._client.get_object, Bucket=bucket, Key=key)
        return bytes(response["Body"].read())

    def head(self, bucket: str, key: str) -> dict[str, Any]:
        """Size, encryption and lock of an object, as plain values."""
        r = self._call(f"head {key}", self._client.head_object, Bucket=bucket, Key=key)
        return {
            "size": int(r["ContentLength"]),
            "encryption": r.get("ServerSideEncryption"),
            "kms_key_id": r.get("SSEKMSKeyId"),
            "lock_mode": r.get("ObjectLockMode"),
            "lock_until": r.get("ObjectLockRetainUntilDate"),
            "version_id": r.get("VersionId"),
        }

    def iter_chunks(self, bucket: str, key: str, chunk_size: int = MIB) -> Iterator[bytes]:
        """Stream an object in chunks (bounded memory)."""
        from botocore.exceptions import BotoCoreError, ClientError

        response = self._call(f"get {key}", self._client.get_object, Bucket=bucket, Key=key)
        body = response["Body"]
        try:
            while chunk := body.read(chunk_size):
                yield bytes(chunk)
        except (ClientError, BotoCoreError) as e:
            raise self._translate(e, f"read {key}", bucket) from e
        finally:
            body.close()

    def list_objects(self, bucket: str, prefix: str) -> list[StoredObject]:
        """Every object under `prefix` (all pages)."""
        objects: list[StoredObject] = []
        paginator = self._client.get_paginator("list_objects_v2")
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    objects.append(StoredObject(item["Key"], int(item["Size"]), item["LastModified"]))
        except (ClientError, BotoCoreError) as e:
            raise self._translate(e, f"list {bucket}/{prefix}", bucket) from e
        return objects

    def delete(self, bucket: str, keys: list[str]) -> None:
        """Delete keys (a delete marker on a versioned bucket); any refusal (e.g. object lock) raises."""
        for start in range(0, len(keys), 1000):
            batch = keys[start : start + 1000]
            r = self._call(
                f"delete {len(batch)} objects",
                self._client.delete_objects,
                Bucket=bucket,
                Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True},
            )
            errors = r.get("Errors") or []
            if errors:
                first = errors[0]
                what = f"S3 delete {first.get('Key')}: {first.get('Code')} ({len(errors)} refused)"
                if first.get("Code") == "AccessDenied":
                    raise AccessDenied(
                        f"{what}: object lock retention protects it, or the credentials may not delete in bucket"
                        f" {bucket}"
                    )
                raise PermanentError(what)

    # --- multipart -----------------------------------------------------------------------------------------------

    def list_uploads(self, bucket: str, prefix: str) -> list[Upload]:
        r = self._call(
            f"list uploads under {prefix}", self._client.list_multipart_uploads, Bucket=bucket, Prefix=prefix
        )
        return [Upload(u["Key"], u["UploadId"], u["Initiated"]) for u in r.get("Uploads", [])]

    def abort_upload(self, bucket: str, upload: Upload) -> None:
        self._call(
            f"abort upload of {upload.key}",
            self._client.abort_multipart_upload,
            Bucket=bucket,
            Key=upload.key,
            UploadId=upload.upload_id,
        )

    def upload_stream(
        self,
        bucket: str,
        key: str,
        stream: Readable,
        *,
        part_size: int,
        encryption: Encryption,
        lock: Lock | None = None,
        concurrency: int = 4,
        on_part: Callable[[int, int], None] | None = None,
    ) -> UploadResult:
        """Upload everything `stream` yields as one object, holding at most (concurrency + 1) parts in memory.

        The stream's final empty read is its promise that it is complete (see `pgdump.DumpStream`), so the last
        part is only sent after it; any exception from the stream or from S3 aborts the multipart upload, and
        no object is left behind. A part goes as soon as the first bytes after it arrive (they prove it is not the
        last), so at the end of the stream only the final part is still to send. A stream shorter than one part
        becomes a single PUT.
        """
        if part_size < MIN_PART:
            raise PermanentError(f"part size {part_size} is below S3's 5 MiB minimum")
        extra: dict[str, Any] = {**encryption.put_args(), **(lock.put_args() if lock else {})}
        first = stream.read(part_size)
        # Always read again, even after a short read: only the stream's final empty read confirms it is complete.
        head = stream.read(min(part_size, PEEK))
        if not head:
            # The stream ended within one part and its final read succeeded: a single PUT.
            r = self._call(
                f"put {key}",
                self._client.put_object,
                Bucket=bucket,
                Key=key,
                Body=first,
                ChecksumAlgorithm="CRC32",
                **extra,
            )
            return UploadResult(len(first), 1, part_size, str(r.get("ETag", "")), r.get("VersionId"))
        created = self._call(
            f"start upload of {key}",
            self._client.create_multipart_upload,
            Bucket=bucket,
            Key=key,
            ChecksumAlgorithm="CRC32",
            **extra,
        )
        upload = Upload(key, created["UploadId"], datetime.now())
        try:
            return self._upload_parts(bucket, upload, stream, first, head, part_size, concurrency, on_part)
        except BaseException:
            try:
                self.abort_upload(bucket, upload)
            except ProviderError:
                pass  # S3 is gone; the lifecycle rule and `abort_stale_uploads` clean up later
            raise

    def _upload_parts(
        self,
        bucket: str,
        upload: Upload,
        stream: Readable,
        first: bytes,
        head: bytes,
        part_size: int,
        concurrency: int,
        on_part: Callable[[int, int], None] | None,
    ) -> UploadResult:
        slots = threading.BoundedSemaphore(concurrency)
        futures: list[concurrent.futures.Future[dict[str, Any]]] = []
        total = 0

        def send(number: int, body: bytes) -> dict[str, Any]:
            try:
                r = self._call(
                    f"upload part {number} of {upload.key}",
                    self._client.upload_part,
                    Bucket=bucket,
                    Key=upload.key,
                    UploadId=upload.upload_id,
                    PartNumber=number,
                    Body=body,
                    ChecksumAlgorithm="CRC32",
                )
                return {"PartNumber": number, "ETag": r["ETag"], "ChecksumCRC32": r.get("ChecksumCRC32")}
            finally:
                slots.release()

        def raise_failed() -> None:
            for f in futures:
                if f.done() and f.exception() is not None:
                    raise f.exception()  # type: ignore[misc]

        with concurrent.futures.ThreadPoolExecutor(max_workers=concurrency) as pool:
            try:
                # A part is sent only once the read after it has returned: data (`head`, so it is not the last
                # part) or the stream's confirmed end. A failed dump raises from that read, before its last part.
                pending = first
                while pending:
                    if len(futures) >= MAX_PARTS:
                        raise PermanentError(f"{upload.key}: more than {MAX_PARTS} parts; the part size is too small")
                    raise_failed()
                    while not slots.acquire(timeout=0.2):
                        raise_failed()
                    futures.append(pool.submit(send, len(futures) + 1, pending))
                    total += len(pending)
                    if on_part:
                        on_part(len(futures), total)
                    if not head:
                        break
                    rest = stream.read(part_size - len(head)) if len(head) < part_size else b""
                    pending = head + rest if rest else head
                    head = stream.read(min(part_size, PEEK))
                parts = [f.result() for f in futures]
            except BaseException:
                for f in futures:
                    f.cancel()
                raise
        for p in parts:
            if p["ChecksumCRC32"] is None:
                del p["ChecksumCRC32"]
        done = self._call(
            f"complete upload of {upload.key}",
            self._client.complete_multipart_upload,
            Bucket=bucket,
            Key=upload.key,
            UploadId=upload.upload_id,
            MultipartUpload={"Parts": parts},
        )
        return UploadResult(total, len(parts), part_size, str(done.get("ETag", "")), done.get("VersionId"))
