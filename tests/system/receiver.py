#!/usr/bin/python3
"""receiver.py PORT LOG [LIMITED_PATH] - an HTTP receiver for notification tests.

Accepts POSTs on 127.0.0.1:PORT and appends one JSON line per request to LOG:
{"path", "headers", "body", "t"} (body as text).  Requests to LIMITED_PATH get
429 with "Retry-After: 1" the first time, 204 after.  Everything else gets
204.  Stops by itself after 600 s (tests kill it sooner, by pid).
"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(sys.argv[1])
LOG = sys.argv[2]
LIMITED = sys.argv[3] if len(sys.argv) > 3 else None
lock = threading.Lock()
limited_seen = set()


class H(BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n).decode("utf-8", "replace")
        rec = {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
               "body": body, "t": time.time()}
        status = 204
        with lock:
            if LIMITED and self.path == LIMITED and self.path not in limited_seen:
                limited_seen.add(self.path)
                status = 429
            rec["status"] = status
            with open(LOG, "a") as f:
                f.write(json.dumps(rec) + "\n")
        self.send_response(status)
        if status == 429:
            self.send_header("Retry-After", "1")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


srv = ThreadingHTTPServer(("127.0.0.1", PORT), H)
threading.Timer(600, srv.shutdown).start()
srv.serve_forever()
