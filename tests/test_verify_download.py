"""`escrutinio verify --url` reads no response past its size limit, whatever the site says or sends."""

from __future__ import annotations

import http.server
import threading

import pytest

from escrutinio.verify import verify_source

from .conftest import escrutinio

LIMIT = 1 << 20
OFFERED = 200 << 20  # what the site would send if let


class _Flood(http.server.BaseHTTPRequestHandler):
    """Every GET answers with an endless JSON-looking body: with a Content-Length of 200 MB, or
    without one (read until the connection closes). Counts what it managed to send."""

    declare = True
    sent = 0

    def do_GET(self):  # noqa: N802 - the name http.server calls
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if type(self).declare:
            self.send_header("Content-Length", str(OFFERED))
        self.end_headers()
        chunk = b" " * 65536
        try:
            while type(self).sent < OFFERED:
                self.wfile.write(chunk)
                type(self).sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args):
        pass


@pytest.fixture(params=[True, False], ids=["declared", "undeclared"])
def flood(request):
    handler = type("Handler", (_Flood,), {"declare": request.param, "sent": 0})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler, request.param
    server.shutdown()
    server.server_close()


def test_a_response_past_the_limit_is_cut_off_and_named(flood):
    base, handler, declared = flood
    report = verify_source(url=base, max_download=LIMIT)
    assert not report.ok
    why = "it declares 209,715,200 bytes" if declared else "it sent more"
    assert report.of("source") == [
        f"GET {base}/api/v1/published/geography: the response is larger than the 1,048,576 bytes allowed ({why}); "
        "nothing more was read. If the site is right to send that much, raise the limit with --max-download"]
    # The verifier hung up: the site could not push its 200 MB (at most the limit and what the sockets' buffers
    # held on the way).
    assert handler.sent < 50 << 20


def test_the_command_takes_the_limit_in_megabytes(flood, tmp_path):
    base, _, _ = flood
    done = escrutinio(tmp_path, "verify", "--url", base, "--max-download", "2")
    assert done.returncode == 1
    assert "the response is larger than the 2,097,152 bytes allowed" in done.stdout
