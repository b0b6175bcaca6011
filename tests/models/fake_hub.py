"""A fake Hugging Face Hub on 127.0.0.1: the real huggingface_hub client downloads from it (HF_ENDPOINT).

It serves ``/{repo}/resolve/{revision}/{filename}`` the way the Hub does for a plain (non-xet) file: HEAD answers with
X-Repo-Commit, ETag (the file's sha256, as the Hub gives for LFS files) and Content-Length; GET honours Range. Knobs:
``gated`` (401 + X-Error-Code: GatedRepo), ``truncate_first`` (the first GET sends half the body and drops the
connection), ``corrupt`` (serves other bytes than the ETag says). Every request is recorded.
"""

from __future__ import annotations

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COMMIT = "0123456789abcdef0123456789abcdef01234567"


class FakeHub:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}  # "repo/resolve/rev/filename" -> bytes
        self.requests: list[tuple[str, str, str | None]] = []  # (method, path, Range header)
        self.gated = False
        self.truncate_first = False
        self.corrupt = False
        self._truncated = False
        self.server: ThreadingHTTPServer | None = None

    def add(self, repo: str, revision: str, filename: str, data: bytes) -> None:
        self.files[f"/{repo}/resolve/{revision}/{filename}"] = data

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def handler(self):
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _head(self, send_body: bool) -> None:
                hub.requests.append((self.command, self.path, self.headers.get("Range")))
                path = self.path.split("?")[0]
                if hub.gated:
                    self.send_response(401)
                    self.send_header("X-Error-Code", "GatedRepo")
                    self.send_header("X-Error-Message", "Access to model is restricted")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                data = hub.files.get(path)
                if data is None:
                    self.send_response(404)
                    self.send_header("X-Error-Code", "EntryNotFound")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                etag = hashlib.sha256(data).hexdigest()
                body = data if not hub.corrupt else bytes(b ^ 0xFF for b in data)
                start = 0
                rng = self.headers.get("Range")
                if rng and rng.startswith("bytes="):
                    start = int(rng[6:].split("-")[0])
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                else:
                    self.send_response(200)
                self.send_header("X-Repo-Commit", COMMIT)
                self.send_header("ETag", f'"{etag}"')
                self.send_header("Accept-Ranges", "bytes")
                self.send_header("Content-Length", str(len(body) - start))
                self.end_headers()
                if not send_body:
                    return
                chunk = body[start:]
                if hub.truncate_first and not hub._truncated:
                    hub._truncated = True
                    self.wfile.write(chunk[: len(chunk) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                self.wfile.write(chunk)

            def do_HEAD(self):
                self._head(False)

            def do_GET(self):
                self._head(True)

        return Handler

    def start(self) -> "FakeHub":
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler())
        self._thread = threading.Thread(target=self.server.serve_forever, name="fake-hub", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)
