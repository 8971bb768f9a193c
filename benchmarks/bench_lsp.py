"""Time `rmo lsp`: diagnostics after a change to a 10 KB charter, and memory over many changes.

    python benchmarks/bench_lsp.py [--changes 1000] [--latency-changes 50]

Starts the installed `rmo lsp` over pipes and speaks LSP to it with a minimal client (no
editor). Two runs on one server:

- latency: --latency-changes single-line edits, each after a pause longer than the
  debounce window (as a person pauses between words); the figure is the wall time from
  sending `didChange` to receiving its `publishDiagnostics` (median, 95th percentile, max).
- memory: --changes edits, each sent as soon as the previous one's diagnostics arrived
  (debounce 0, so every change is validated); the server's resident memory (VmRSS) is
  read from /proc after a warm-up and every 10 % of the run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RMO = Path(sys.executable).parent / "rmo"
SAMPLE = ROOT / "sample_charters" / "harbourside-globex-facilities.yaml"


def charter_10kb() -> str:
    """The largest sample grown to about 10 KB with more objectives, KPIs and risks."""
    text = SAMPLE.read_text(encoding="utf-8")
    extra_objectives, extra_kpis, extra_risks = [], [], []
    i = 0
    while (
        len(text.encode()) + sum(len(x) for x in extra_objectives + extra_kpis + extra_risks)
        < 10_240
    ):
        i += 1
        extra_objectives.append(
            f"  - id: obj-extra-{i}\n    statement: Extra objective number {i} of the bench.\n"
            f"    owner: mlee\n    target_date: 2028-06-30\n"
        )
        extra_kpis.append(
            f"  - id: kpi-extra-{i}\n    name: Extra measure {i}\n    objective: obj-extra-{i}\n"
            f"    unit: percent\n    baseline: 50\n    target: 80\n"
            f"    direction: higher-is-better\n    frequency: P1M\n    owner: tkhan\n"
        )
        extra_risks.append(
            f"  - id: r-extra-{i}\n    title: Extra risk {i}\n    owner: jdoe\n    likelihood: 2\n"
            f"    impact: 3\n    treatment: treat\n    mitigation: Watched monthly.\n"
        )
    text = text.replace("\nprinciples:", "".join(extra_objectives) + "\nprinciples:", 1)
    text = text.replace("\nrisks:\n", "".join(extra_kpis) + "\nrisks:\n" + "".join(extra_risks), 1)
    return text


class Client:
    """Just enough of an LSP client: framed JSON-RPC over the server's pipes."""

    def __init__(self, cwd: Path) -> None:
        self.proc = subprocess.Popen(
            [str(RMO), "lsp"], cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        self.next_id = 0

    def send(self, method: str, params: Any, request: bool = False) -> int | None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params}
        ident = None
        if request:
            self.next_id += 1
            ident = message["id"] = self.next_id
        body = json.dumps(message).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()
        return ident

    def receive(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        length = 0
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("the server closed its output")
            if line in (b"\r\n", b"\n"):
                break
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        return json.loads(self.proc.stdout.read(length))

    def request(self, method: str, params: Any) -> Any:
        ident = self.send(method, params, request=True)
        while True:
            message = self.receive()
            if message.get("id") == ident and "method" not in message:
                return message.get("result")
            if "id" in message and "method" in message:  # a request to us: answer it
                self.reply(message["id"])

    def reply(self, ident: Any) -> None:
        body = json.dumps({"jsonrpc": "2.0", "id": ident, "result": None}).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def diagnostics(self, uri: str, version: int) -> list[Any]:
        while True:
            message = self.receive()
            if "id" in message and "method" in message:
                self.reply(message["id"])
            params = message.get("params") or {}
            if (
                message.get("method") == "textDocument/publishDiagnostics"
                and params.get("uri") == uri
                and params.get("version") == version
            ):
                return list(params["diagnostics"])

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0


def _edit(client: Client, uri: str, version: int, line: int, old: str, new: str) -> None:
    client.send(
        "textDocument/didChange",
        {
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [
                {
                    "range": {
                        "start": {"line": line, "character": 0},
                        "end": {"line": line, "character": len(old)},
                    },
                    "text": new,
                }
            ],
        },
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--changes", type=int, default=1000)
    parser.add_argument("--latency-changes", type=int, default=50)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="rmo-bench-lsp-"))
    try:
        (folder / "charters").mkdir()
        path = folder / "charters" / "harbourside-globex-facilities.yaml"
        text = charter_10kb()
        path.write_text(text, encoding="utf-8")
        uri = path.as_uri()
        lines = text.split("\n")
        title_line = next(i for i, row in enumerate(lines) if row.startswith("title:"))
        print(f"charter: {len(text.encode()):,} bytes, {len(lines)} lines")

        for label, debounce, count, pause in (
            ("latency", None, args.latency_changes, 0.2),
            ("memory", 0, args.changes, 0.0),
        ):
            client = Client(folder)
            options = {} if debounce is None else {"debounceMs": debounce}
            client.request(
                "initialize",
                {
                    "processId": os.getpid(),
                    "rootUri": folder.as_uri(),
                    "capabilities": {},
                    "initializationOptions": options,
                },
            )
            client.send("initialized", {})
            client.send(
                "textDocument/didOpen",
                {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}},
            )
            first = client.diagnostics(uri, 1)
            old = lines[title_line]
            times: list[float] = []
            memory: list[tuple[int, int]] = []
            warm_up = min(50, count // 10)
            for n in range(count):
                if pause:
                    time.sleep(pause)
                new = f"title: Bench charter, edit {n}"
                started = time.perf_counter()
                _edit(client, uri, n + 2, title_line, old, new)
                found = client.diagnostics(uri, n + 2)
                times.append(time.perf_counter() - started)
                assert len(found) == len(first), (found, first)
                old = new
                if n + 1 == warm_up or (n + 1) % max(1, count // 10) == 0:
                    memory.append((n + 1, client.rss_kib()))
            client.request("shutdown", None)
            client.send("exit", None)
            client.proc.wait(timeout=10)
            ms = sorted(t * 1000 for t in times)
            p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
            print(
                f"{label}: {count} changes, diagnostics after a change: median "
                f"{statistics.median(ms):.1f} ms, p95 {p95:.1f} ms, max {ms[-1]:.1f} ms"
            )
            if label == "memory":
                print(
                    "  server RSS (changes: MiB): "
                    + ", ".join(f"{n}: {kib / 1024:.1f}" for n, kib in memory)
                )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
