"""`rmo verify` over many files: each charter's sign-off checks, through the result cache.

What the report needs of a charter is kept, not the charter: its sign-off checks, where
each sign-off and party is, its status and its parties' ids and names (a small `Document`
holding only those). A file's result is reused when its bytes, its allowed signers file, the
require flag, the register and the configuration are unchanged; a charter with a stale
sign-off is checked again when the report says what changed since (that reads git history).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
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


def verify_files(
    files: Sequence[CharterFile],
    signers_of: Callable[[Path], Trust | Path | None],
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
    history again, so not cached).
    """
    from rmo_cli.charter.loading import parse_charter, read_bytes
    from rmo_cli.ops.amendments import history_matters, in_force_for
    from rmo_cli.ops.cache import ResultCache
    from rmo_cli.ops.checking import _trust_token
    from rmo_cli.rules.signoffs import amendment_pending, verify_document
    from rmo_cli.support.vocabulary import STALE

    store = ResultCache("verify", ["history" if history else "", *context], enabled=cache)
    results: list[tuple[Document, list[Any]]] = []
    unreadable: list[Finding] = []
    pending: list[Finding] = []
    tokens: dict[int, str | None] = {}
    held: list[object] = []  # what tokens are keyed by (by id), kept alive
    for start in range(0, len(files), 1000):
        block = files[start : start + 1000]
        raws: dict[int, bytes] = {}
        failed: dict[int, list[Finding]] = {}
        keys: dict[int, str] = {}
        signers: dict[int, Trust | Path | None] = {}
        for index, file in enumerate(block):
            raw = read_bytes(file.path, file.display)
            if not isinstance(raw, bytes):
                failed[index] = list(raw.findings)
                continue
            raws[index] = raw
            trust = signers_of(file.path)
            signers[index] = trust
            if id(trust) not in tokens:
                held.append(trust)
                tokens[id(trust)] = _trust_token(trust)
            token = tokens[id(trust)]
            if store.enabled and token is not None:
                keys[index] = store.key(file.display, raw, token)
        hits = store.get_many(list(keys.values())) if store.enabled else {}
        for index, file in enumerate(block):
            if index in failed:
                unreadable.extend(failed[index])
                continue
            hit = hits.get(keys.get(index, ""))
            if hit is not None:
                try:
                    results.append(_from_json(file, hit))
                    continue
                except (ValueError, TypeError, KeyError, IndexError):
                    pass
            loaded_doc = parse_charter(raws[index], file.display)
            if loaded_doc.document is None:
                unreadable.extend(loaded_doc.findings)
                continue
            doc = loaded_doc.document
            in_force = in_force_for(doc, file.path, signers[index])
            checks = verify_document(doc, signers[index], history, in_force)
            warning = amendment_pending(doc, in_force)
            if warning is not None:
                pending.append(warning)
            results.append((_skeleton(doc), checks))
            stale_history = history is not None and any(c.state == STALE for c in checks)
            if index in keys and not stale_history and not history_matters(doc, file.path):
                store.put(keys[index], _to_json(results[-1][0], checks))
        store.flush()
    store.close()
    return results, unreadable, pending
