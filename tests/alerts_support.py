"""Shared helpers of the alerts tests: fixture paths and a loopback HTTP server in a thread."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

FIXTURES = Path(__file__).parent / "alert_fixtures"
SENDER = "amber@state.example.gov"

Handler = Callable[[BaseHTTPRequestHandler, bytes], tuple]


@contextmanager
def http_server(respond: Handler, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve `respond(request, body) -> (status, payload[, headers])` on `host`, a free port.

    A payload that is not bytes is an iterable of chunks, each written and flushed on its own
    (to play a slow server); its Content-Length must then come in `headers`.
    """

    class _Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            status, payload, *more = respond(self, self.rfile.read(length))
            headers = more[0] if more else {}
            self.send_response(status)
            if isinstance(payload, bytes):
                headers = {"Content-Length": str(len(payload)), **headers}
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            chunks: Iterable[bytes] = [payload] if isinstance(payload, bytes) else payload
            try:
                for chunk in chunks:
                    self.wfile.write(chunk)
                    self.wfile.flush()
            except OSError:
                pass  # the client hung up, as a client with limits should

        do_GET = do_POST = _answer

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((host, 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def cap_xml(text: str, msg_type: str = "Alert", headline: str = "",
            identifier: str = "EX-2024-0002", references: str = "",
            sent: str = "2024-03-14T16:05:00-04:00", area: str = "Statewide") -> bytes:
    """A valid CAP 1.2 child-abduction message (SAME CAE) with `text` as its description;
    `references` is the CAP "sender,identifier,sent" list."""
    refs = f"<references>{escape(references)}</references>" if references else ""
    return f"""<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{escape(identifier)}</identifier><sender>{SENDER}</sender>
  <sent>{sent}</sent><status>Exercise</status><msgType>{msg_type}</msgType>
  <scope>Public</scope>{refs}
  <info><language>en-US</language><category>Rescue</category><event>Child Abduction
  Emergency</event><urgency>Immediate</urgency><severity>Severe</severity>
  <certainty>Likely</certainty><eventCode><valueName>SAME</valueName><value>CAE</value>
  </eventCode><headline>{escape(headline)}</headline>
  <description>{escape(text)}</description>
  <area><areaDesc>{escape(area)}</areaDesc></area></info></alert>""".encode()
