"""The benchmark's load generator can be stopped the moment it is started and still reports."""

from __future__ import annotations

import signal
import socketserver
import threading
from collections.abc import Iterator

import pytest

from service.bench import processes
from service.bench.loadgen import LoadSpec

_ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


class _KeepAliveHandler(socketserver.BaseRequestHandler):
    """Answers 200 to every request head on one keep-alive connection."""

    def handle(self) -> None:
        pending = b""
        while chunk := self.request.recv(65536):
            pending += chunk
            while b"\r\n\r\n" in pending:
                _, pending = pending.split(b"\r\n\r\n", 1)
                self.request.sendall(_ANSWER)


@pytest.fixture
def http_port() -> Iterator[int]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _KeepAliveHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


def test_a_load_stopped_right_after_start_still_prints_its_result(http_port: int) -> None:
    spec = LoadSpec(host="127.0.0.1", port=http_port, connections=2, duration=3600, warmup=0)
    load = processes.start_load(spec)
    load.send_signal(signal.SIGTERM)
    result = processes.finish_load(load)
    assert result.errors == 0
    assert result.unexpected == {}


def test_a_load_that_cannot_connect_fails_with_its_error() -> None:
    with socketserver.TCPServer(("127.0.0.1", 0), _KeepAliveHandler) as unused:
        closed_port = int(unused.server_address[1])
    spec = LoadSpec(host="127.0.0.1", port=closed_port, connections=1, duration=1, warmup=0)
    with pytest.raises(RuntimeError, match=r"(?s)load generator failed:.*ConnectionRefused"):
        processes.start_load(spec)
