"""A new charter opens without errors in yaml-language-server, against the schema it names.

Runs the real language server (npm `yaml-language-server`) over stdio as an editor would:
open the file, wait for its diagnostics. A broken copy of the same charter must get a
diagnostic at the broken value, which proves the modeline's schema was found and applied.
Skips when Node/npm is missing or the npm registry cannot be reached. The server is
installed once into pytest's cache folder (`YAML_LANGUAGE_SERVER=/path/to/bin` uses
another install).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

# The rmo installed beside the Python running the tests (/work/venv locally, .venv in CI).
RMO = Path(sys.executable).parent / "rmo"
VERSION = "1"  # the major version of yaml-language-server the test was written against


def _server_command(cache_dir: Path) -> list[str]:
    given = os.environ.get("YAML_LANGUAGE_SERVER") or shutil.which("yaml-language-server")
    node = shutil.which("node")
    if given:
        return [given, "--stdio"]
    if node is None or shutil.which("npm") is None:
        pytest.skip("node and npm are needed to run yaml-language-server")
    binary = cache_dir / "node_modules" / ".bin" / "yaml-language-server"
    if not binary.exists():
        try:
            done = subprocess.run(
                [
                    "npm",
                    "install",
                    "--no-audit",
                    "--no-fund",
                    "--silent",
                    f"yaml-language-server@{VERSION}",
                ],
                cwd=cache_dir,
                capture_output=True,
                text=True,
                timeout=50,
                check=False,
            )
        except subprocess.TimeoutExpired:
            pytest.skip("npm install yaml-language-server took too long (offline?)")
        if done.returncode != 0 or not binary.exists():
            pytest.skip(f"npm install yaml-language-server failed (offline?): {done.stderr[-300:]}")
    return [str(binary), "--stdio"]


class LanguageClient:
    """The least an editor does: JSON-RPC over stdio, collecting published diagnostics."""

    def __init__(self, command: list[str], root: Path) -> None:
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=root,
        )
        self.diagnostics: dict[str, list[dict[str, Any]]] = {}
        self.lock = threading.Condition()
        self.next_id = 0
        self.write_lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        assert self.process.stdin is not None
        with self.write_lock:
            self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self.process.stdin.flush()

    def request(self, method: str, params: Any) -> None:
        self.next_id += 1
        self._send({"id": self.next_id, "method": method, "params": params})

    def notify(self, method: str, params: Any) -> None:
        self._send({"method": method, "params": params})

    def _read(self) -> None:
        try:
            self._read_messages()
        except (OSError, ValueError):  # the pipe was closed by close()
            return

    def _read_messages(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = 0
            while True:
                line = stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            message = json.loads(stream.read(length))
            if "id" in message and "method" in message:  # a request from the server
                result: Any = None
                if message["method"] == "workspace/configuration":
                    result = [SETTINGS["yaml"] for _ in message["params"]["items"]]
                self._send({"id": message["id"], "result": result})
            elif message.get("method") == "textDocument/publishDiagnostics":
                with self.lock:
                    params = message["params"]
                    self.diagnostics[params["uri"]] = params["diagnostics"]
                    self.lock.notify_all()

    def open(self, path: Path) -> str:
        uri = path.resolve().as_uri()
        self.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": uri,
                    "languageId": "yaml",
                    "version": 1,
                    "text": path.read_text(encoding="utf-8"),
                }
            },
        )
        return uri

    def wait_for(self, uri: str, predicate: Any, timeout: float = 30) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        with self.lock:
            while not (uri in self.diagnostics and predicate(self.diagnostics[uri])):
                left = deadline - time.monotonic()
                if left <= 0 or self.process.poll() is not None:
                    return self.diagnostics.get(uri, [])
                self.lock.wait(left)
            return self.diagnostics[uri]

    def close(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)
        self.reader.join(timeout=10)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


SETTINGS: dict[str, Any] = {
    "yaml": {
        "validate": True,
        "hover": True,
        "completion": True,
        "schemaStore": {"enable": False},
        "schemas": {},
    }
}


@pytest.mark.slow
def test_new_charter_opens_without_errors_in_yaml_language_server(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if not RMO.exists():
        pytest.skip(f"rmo is not installed at {RMO}")
    if getattr(request.config, "cache", None) is not None:
        cache = Path(request.config.cache.mkdir("yaml-language-server"))
    else:  # pytest -p no:cacheprovider
        cache = tmp_path / "yaml-language-server"
        cache.mkdir()
    command = _server_command(cache)
    repo = tmp_path / "repo"
    env = {**os.environ, "NO_COLOR": "1"}
    done = subprocess.run([str(RMO), "init", str(repo)], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    subprocess.run(
        [
            str(RMO),
            "new-charter",
            "--no-input",
            "--title",
            "Acme Globex Alliance",
            "--party",
            "acme=ACME Public Works",
            "--party",
            "globex=Globex Ltd",
            "--governance",
            "hierarchy",
            "--lead-party",
            "acme",
        ],
        cwd=repo,
        check=True,
        capture_output=True,
        env=env,
    )
    good = repo / "charters" / "acme-globex-alliance.yaml"
    bad = repo / "charters" / "broken.yaml"
    bad.write_text(
        good.read_text(encoding="utf-8").replace("status: draft", "status: pending"),
        encoding="utf-8",
    )

    client = LanguageClient(command, repo)
    try:
        client.request(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": repo.as_uri(),
                "capabilities": {},
                "workspaceFolders": [{"uri": repo.as_uri(), "name": "repo"}],
            },
        )
        client.notify("initialized", {})
        client.notify("workspace/didChangeConfiguration", {"settings": SETTINGS})
        bad_uri = client.open(bad)
        found = client.wait_for(bad_uri, lambda d: len(d) > 0)
        assert found, "the broken copy got no diagnostic: the modeline's schema was not applied"
        status_line = next(
            i for i, line in enumerate(bad.read_text().splitlines()) if line.startswith("status:")
        )
        assert any(d["range"]["start"]["line"] == status_line for d in found), found

        good_uri = client.open(good)
        diagnostics = client.wait_for(good_uri, lambda d: True)
        assert good_uri in client.diagnostics, "no diagnostics were published for the charter"
        assert diagnostics == []
        # rmo.yaml names .rmo/config.schema.json the same way.
        config_uri = client.open(repo / "rmo.yaml")
        assert client.wait_for(config_uri, lambda d: True) == []
        assert config_uri in client.diagnostics
    finally:
        client.close()
