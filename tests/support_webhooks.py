"""A real local HTTP receiver for webhook tests (http.server in a thread)."""
import http.server
import json
import threading

from tests.support import free_port


class LocalServer:
    """An http.server on 127.0.0.1 in a thread of its own, used as a context manager."""

    def serve(self, handler):
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class Receiver(LocalServer):
    """Records every POST (path, headers, body). `replies` is a list of status codes answered in
    turn (the last one repeats); `hold_on` (1-based request number) blocks that request until
    release() is called."""

    def __init__(self, replies=(204,), hold_on=None):
        self.replies = list(replies)
        self.hold_on = hold_on
        self.requests = []
        self.release_event = threading.Event()
        self.lock = threading.Lock()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver.lock:
                    receiver.requests.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                                              "body": body})
                    number = len(receiver.requests)
                    code = receiver.replies[min(number - 1, len(receiver.replies) - 1)]
                if receiver.hold_on == number:
                    receiver.release_event.wait(120)
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.serve(Handler)

    def __exit__(self, *exc):
        self.release_event.set()
        super().__exit__(*exc)

    def release(self):
        self.release_event.set()

    def events(self):
        return [json.loads(r["body"]) for r in self.requests]

    def ids(self):
        return [r["headers"]["webhook-id"] for r in self.requests]
