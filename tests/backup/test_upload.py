"""The streamed upload's guard on moto: a stream that fails at its end never becomes an object."""

from __future__ import annotations

import os

import pytest

from reconciler.errors import PermanentError
from reconciler.providers.s3 import MIB, Encryption, part_size_for
from tests.fixtures.s3 import S3Bucket


class Failing(Exception):
    pass


class Stream:
    """Hands out `size` random bytes, then raises instead of the final empty read when `fail_at_end`."""

    def __init__(self, size: int, fail_at_end: bool) -> None:
        self.left = size
        self.fail_at_end = fail_at_end
        self.final_reads = 0

    def read(self, n: int = -1, /) -> bytes:
        if self.left == 0:
            self.final_reads += 1
            if self.fail_at_end:
                raise Failing("the producer exited 1")
            return b""
        take = min(n, self.left)
        self.left -= take
        return os.urandom(take)


@pytest.mark.parametrize("size", [100, 5 * MIB, 12 * MIB], ids=["small", "one-part", "three-parts"])
def test_a_stream_failing_at_its_end_leaves_no_object_and_no_upload(moto_bucket: S3Bucket, size: int) -> None:
    stream = Stream(size, fail_at_end=True)
    with pytest.raises(Failing):
        moto_bucket.s3.upload_stream(moto_bucket.name, "p/dump", stream, part_size=5 * MIB, encryption=Encryption())
    assert stream.final_reads == 1
    assert moto_bucket.s3.list_objects(moto_bucket.name, "p/") == []
    assert moto_bucket.s3.list_uploads(moto_bucket.name, "p/") == []


@pytest.mark.parametrize("size", [100, 5 * MIB, 12 * MIB], ids=["small", "one-part", "three-parts"])
def test_a_complete_stream_becomes_one_object_of_its_size(moto_bucket: S3Bucket, size: int) -> None:
    result = moto_bucket.s3.upload_stream(
        moto_bucket.name, "p/dump", Stream(size, fail_at_end=False), part_size=5 * MIB, encryption=Encryption()
    )
    assert result.size == size and result.parts == max(1, -(-size // (5 * MIB)))
    assert moto_bucket.s3.head(moto_bucket.name, "p/dump")["size"] == size


def test_part_size_keeps_any_database_within_ten_thousand_parts() -> None:
    assert part_size_for(0) == 16 * MIB
    assert part_size_for(100 * 1024 * MIB) == 16 * MIB
    for size in (200 * 1024 * MIB, 1024 * 1024 * MIB, 4 * 1024 * 1024 * MIB):
        part = part_size_for(size)
        assert part % MIB == 0 and part * 10_000 >= 1.25 * size


def test_parts_below_the_s3_minimum_are_refused(moto_bucket: S3Bucket) -> None:
    with pytest.raises(PermanentError, match="below S3's 5 MiB minimum"):
        moto_bucket.s3.upload_stream(
            moto_bucket.name, "p/x", Stream(10, fail_at_end=False), part_size=MIB, encryption=Encryption()
        )


def test_a_part_goes_once_the_first_bytes_after_it_arrive_not_the_whole_next_part(moto_bucket: S3Bucket) -> None:
    stream = Stream(17 * MIB, fail_at_end=False)
    handed_out_at_send: list[int] = []

    def on_part(number: int, total: int) -> None:
        handed_out_at_send.append(17 * MIB - stream.left)

    result = moto_bucket.s3.upload_stream(
        moto_bucket.name, "p/dump", stream, part_size=5 * MIB, encryption=Encryption(), on_part=on_part
    )
    assert result.parts == 4 and result.size == 17 * MIB
    # Parts 1-3 went as soon as one more MiB proved they were not the last; the short last part after the end.
    assert handed_out_at_send == [6 * MIB, 11 * MIB, 16 * MIB, 17 * MIB]
    assert stream.final_reads == 1
