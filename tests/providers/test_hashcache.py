"""Data files are hashed once: the cache answers for a file the file system says is unchanged.

What "unchanged" means is (path, size, mtime_ns, inode, device, ctime_ns); a file changed too
soon after its hashing to tell is hashed again; ``rehash`` hashes everything; a broken or
unwritable cache file is only a slower run.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from reconciler.providers import hashcache
from reconciler.providers.hashcache import file_facts, hash_cache

OLD = 1_600_000_000_000_000_000  # an mtime long before any hashing in these tests


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every whole read of a file to hash it."""
    seen: list[Path] = []
    real = hashcache.hash_file

    def counting(path: Path) -> hashcache.LocalFile:
        seen.append(path)
        return real(path)

    monkeypatch.setattr(hashcache, "hash_file", counting)
    return seen


def data_file(tmp_path: Path, content: bytes = b"a,b\n1,2\n", *, name: str = "sales.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    os.utime(path, ns=(OLD, OLD))
    return path


async def plan_reads(cache: Path, *paths: Path, rehash: bool = False) -> list[str]:
    with hash_cache(cache, rehash=rehash):
        return [(await file_facts(path)).sha256 for path in paths]


async def test_an_unchanged_file_is_hashed_once_across_runs(tmp_path: Path, reads: list[Path]) -> None:
    path, cache = data_file(tmp_path), tmp_path / "cache" / "file-hashes.json"
    first = await plan_reads(cache, path)
    second = await plan_reads(cache, path)
    assert first == second == [hashlib.sha256(path.read_bytes()).hexdigest()]
    assert reads == [path]
    assert cache.is_file()


async def test_new_content_of_the_same_size_is_hashed_again(tmp_path: Path, reads: list[Path]) -> None:
    path, cache = data_file(tmp_path, b"1,2\n"), tmp_path / "file-hashes.json"
    await plan_reads(cache, path)
    path.write_bytes(b"3,4\n")
    os.utime(path, ns=(OLD + 1, OLD + 1))
    assert await plan_reads(cache, path) == [hashlib.sha256(b"3,4\n").hexdigest()]
    assert len(reads) == 2


async def test_new_content_with_the_old_mtime_put_back_is_hashed_again(
    tmp_path: Path, reads: list[Path]
) -> None:
    """Same size, same mtime (restored by a copying tool): the change time still tells."""
    path, cache = data_file(tmp_path, b"1,2\n"), tmp_path / "file-hashes.json"
    await plan_reads(cache, path)
    before = os.stat(path)
    path.write_bytes(b"3,4\n")
    os.utime(path, ns=(OLD, OLD))
    after = os.stat(path)
    if after.st_ctime_ns == before.st_ctime_ns:
        pytest.skip("this file system's change time did not move")
    assert await plan_reads(cache, path) == [hashlib.sha256(b"3,4\n").hexdigest()]


async def test_a_file_replaced_by_another_is_hashed_again(tmp_path: Path, reads: list[Path]) -> None:
    path, cache = data_file(tmp_path, b"1,2\n"), tmp_path / "file-hashes.json"
    await plan_reads(cache, path)
    other = data_file(tmp_path, b"5,6\n", name="other.csv")
    os.replace(other, path)  # another inode, same size and mtime
    assert await plan_reads(cache, path) == [hashlib.sha256(b"5,6\n").hexdigest()]


async def test_a_file_modified_just_before_its_hashing_is_hashed_again(
    tmp_path: Path, reads: list[Path]
) -> None:
    path, cache = tmp_path / "fresh.csv", tmp_path / "file-hashes.json"
    path.write_bytes(b"1,2\n")  # mtime now: within the file system's granularity of the hashing
    await plan_reads(cache, path)
    await plan_reads(cache, path)
    assert reads == [path, path]


async def test_rehash_reads_every_file_and_rewrites_the_cache(tmp_path: Path, reads: list[Path]) -> None:
    path, cache = data_file(tmp_path), tmp_path / "file-hashes.json"
    await plan_reads(cache, path)
    entries = json.loads(cache.read_text())
    entries["files"][str(path)]["sha256"] = "0" * 64  # a cache someone damaged
    cache.write_text(json.dumps(entries))
    assert await plan_reads(cache, path, rehash=True) == [hashlib.sha256(path.read_bytes()).hexdigest()]
    assert await plan_reads(cache, path) == [hashlib.sha256(path.read_bytes()).hexdigest()]
    assert reads == [path, path]


@pytest.mark.parametrize("content", ["not json", '{"version": 999, "files": {}}', "[]", '{"version": 1}'])
async def test_an_unreadable_cache_is_ignored(tmp_path: Path, reads: list[Path], content: str) -> None:
    path, cache = data_file(tmp_path), tmp_path / "file-hashes.json"
    cache.write_text(content)
    assert await plan_reads(cache, path) == [hashlib.sha256(path.read_bytes()).hexdigest()]
    assert json.loads(cache.read_text())["version"] == hashcache.VERSION


async def test_a_cache_that_cannot_be_written_is_only_slower(tmp_path: Path, reads: list[Path]) -> None:
    path = data_file(tmp_path)
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    cache = blocked / "file-hashes.json"  # its directory is a file
    assert await plan_reads(cache, path) == await plan_reads(cache, path)
    assert len(reads) == 2


async def test_without_a_cache_every_read_hashes(tmp_path: Path, reads: list[Path]) -> None:
    path = data_file(tmp_path)
    await file_facts(path)
    await file_facts(path)
    assert len(reads) == 2


async def test_a_missing_file_is_reported_as_before(tmp_path: Path) -> None:
    with hash_cache(tmp_path / "file-hashes.json"), pytest.raises(FileNotFoundError):
        await file_facts(tmp_path / "missing.csv")


async def test_code_in_a_worker_thread_uses_the_cache_of_its_caller(
    tmp_path: Path, reads: list[Path]
) -> None:
    """Akkio and Sony EPA hash in a thread (``asyncio.to_thread`` carries the open cache along)."""
    import asyncio

    path, cache = data_file(tmp_path), tmp_path / "file-hashes.json"
    for _ in range(2):
        with hash_cache(cache):
            local = await asyncio.to_thread(hashcache.hashed, path)
    assert local.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert reads == [path]
    assert hashcache.hashed(path).sha256 == local.sha256  # no cache open: read again
    assert len(reads) == 2
