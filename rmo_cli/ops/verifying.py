"""`rmo verify` over many files: each charter's sign-off checks, through the result cache.

What the report needs of a charter is kept, not the charter: its sign-off checks, where
each sign-off and party is, its status and its parties' ids and names (a small `Document`
holding only those). A file's result is reused when its bytes, its allowed signers file, the
require flag, the register and the configuration are unchanged; a charter with a stale
sign-off is checked again when the report says what changed since (that reads git history).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from rmo_cli.charter.loading import Document
from rmo_cli.ops.repository import CharterFile
from rmo_cli.rules.signoffs import Trust
from rmo_cli.support.findings import Finding

History = Callable[[Document, str], tuple[str, ...]]


def _skeleton(doc: Document) -> Document:
    """The part of a charter the verify report reads: status, parties, places."""
    data = doc.data if isinstance(doc.data, dict) else {}
    parties = data.get("parties")
    kept_parties = [
        {"id": p.get("id"), "name": p.get("name")} if isinstance(p, dict) else p
        for p in (parties if isinstance(parties, list) else [])
    ]
    signoffs = data.get("signoffs")
    places: dict[tuple[str | int, ...], tuple[int, int]] = {(): doc.locate(())}
    for name, items in (("signoffs", signoffs), ("parties", parties)):
        if isinstance(items, list):
            places[(name,)] = doc.locate((name,))
            for index in range(len(items)):
                places[(name, index)] = doc.locate((name, index))
    return Document(doc.file, {"status": data.get("status"), "parties": kept_parties}, "", places)


def _to_json(doc: Document, checks: list[Any]) -> Any:
    return {
        "data": doc.data,
        "places": [[list(path), line, column] for path, (line, column) in doc.positions.items()],
        "checks": [dataclasses.asdict(check) for check in checks],
    }


def _from_json(file: CharterFile, value: Any) -> tuple[Document, list[Any]]:
    from rmo_cli.rules.signoffs import SignoffCheck

    places = {tuple(path): (int(line), int(column)) for path, line, column in value["places"]}
    doc = Document(file.display, value["data"], "", places)
    checks = []
    for item in value["checks"]:
        check = SignoffCheck(**item)
        if check.file != file.display:
            raise ValueError("another file's checks")
        checks.append(dataclasses.replace(check, changes=tuple(check.changes)))
    return doc, checks


# A file's verification: (small Document, sign-off checks) or None when it cannot be read,
# the findings saying why, the `amendment-pending` warning and whether it may be cached.
Verified = tuple["tuple[Document, list[Any]] | None", list[Finding], "Finding | None", bool]
# A file on its way: its result when ready without a worker (from the cache), its cache key.
_Entry = tuple["Verified | None", "str | None"]


def _verify_one(
    task: tuple[CharterFile, bytes],
    signers_of: Callable[[Path | str], Trust | Path | None],
    history: History | None,
) -> Verified:
    """Parse one file's bytes and check its sign-offs (in a worker for many files: the
    worker looks the trust up itself, so one Trust serves every charter of a folder)."""
    from rmo_cli.charter.loading import parse_charter
    from rmo_cli.ops.amendments import history_matters, in_force_for
    from rmo_cli.rules.signoffs import amendment_pending, verify_document
    from rmo_cli.support.vocabulary import STALE

    file, raw = task
    trust = signers_of(file.where)
    loaded = parse_charter(raw, file.display)
    doc = loaded.document
    if doc is None:
        return None, list(loaded.findings), None, False
    in_force = in_force_for(doc, file.where, trust)
    checks = verify_document(doc, trust, history, in_force)
    stale_history = history is not None and any(c.state == STALE for c in checks)
    cacheable = not stale_history and not history_matters(doc, file.where)
    return (_skeleton(doc), checks), [], amendment_pending(doc, in_force), cacheable


def verify_files(
    files: Sequence[CharterFile],
    signers_of: Callable[[Path | str], Trust | Path | None],
    history: History | None = None,
    cache: bool = True,
    context: Sequence[str] = (),
) -> tuple[list[tuple[Document, list[Any]]], list[Finding], list[Finding]]:
    """(each readable charter's small Document and sign-off checks, unreadable findings,
    `amendment-pending` warnings).

    signers_of gives a charter path's Trust (allowed signers file, require, register) or
    just its allowed signers file; history, when given, says what
    changed since a stale sign-off (git: such results are not cached). Sign-offs are judged
    against the in-force version where an amendment may be in progress (SPEC §8; git
    history again, so not cached). Many files are checked by worker processes, fed as the
    files are read (rmo_cli.support.parallel.map_stream); results keep the files' order.
    """
    from functools import partial

    from rmo_cli.charter.loading import read_bytes
    from rmo_cli.ops.cache import ResultCache
    from rmo_cli.ops.checking import _trust_token
    from rmo_cli.ops.validation import FLUSH_EVERY, READ_BLOCK
    from rmo_cli.support.parallel import map_stream, stream_chunk, worker_count

    store = ResultCache("verify", ["history" if history else "", *context], enabled=cache)
    tokens: dict[int, str | None] = {}
    held: list[object] = []  # what tokens are keyed by (by id), kept alive

    def prepared() -> Iterator[tuple[_Entry, tuple[CharterFile, bytes] | None]]:
        """Each file in order with its task (None: its result is ready), read and looked up
        in the cache a block at a time."""
        for start in range(0, len(files), READ_BLOCK):
            block = files[start : start + READ_BLOCK]
            ready: dict[int, Verified] = {}
            tasks: dict[int, tuple[CharterFile, bytes]] = {}
            keys: dict[int, str] = {}
            for index, file in enumerate(block):
                raw = read_bytes(file.where, file.display)
                if not isinstance(raw, bytes):
                    ready[index] = (None, list(raw.findings), None, False)
                    continue
                trust = signers_of(file.where)
                if id(trust) not in tokens:
                    held.append(trust)
                    tokens[id(trust)] = _trust_token(trust)
                token = tokens[id(trust)]
                if store.enabled and token is not None:
                    keys[index] = store.key(file.display, raw, token)
                tasks[index] = (file, raw)
            hits = store.get_many(list(keys.values())) if store.enabled else {}
            for index, file in enumerate(block):
                hit = hits.get(keys.get(index, ""))
                if hit is not None:
                    try:
                        found = _from_json(file, hit)
                        yield ((found, [], None, False), None), None
                        continue
                    except (ValueError, TypeError, KeyError, IndexError):
                        pass  # a damaged entry: check the file again
                yield (ready.get(index), keys.get(index)), tasks.get(index)

    results: list[tuple[Document, list[Any]]] = []
    unreadable: list[Finding] = []
    pending: list[Finding] = []
    workers = worker_count(len(files))
    chunk = stream_chunk(len(files), workers)
    done = 0
    func = partial(_verify_one, signers_of=signers_of, history=history)
    for (ready, key), fresh in map_stream(func, prepared(), workers, chunk=chunk):
        verified = ready if ready is not None else fresh
        assert verified is not None
        found, failed, warning, cacheable = verified
        unreadable.extend(failed)
        if warning is not None:
            pending.append(warning)
        if found is None:
            continue
        results.append(found)
        if ready is None and key is not None and cacheable:
            store.put(key, _to_json(*found))
            done += 1
            if done % FLUSH_EVERY == 0:
                store.flush()
    store.flush()
    store.close()
    return results, unreadable, pending
