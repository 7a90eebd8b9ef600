"""A webhook receiver for the alert tests: appends each POST body as one line to a file.

Usage: webhook_receiver.py PORT FILE [FAILURES]
The first FAILURES requests are answered 500 (to exercise retries), the others 200.
"""
import http.server
import sys

port, path = int(sys.argv[1]), sys.argv[2]
failures = [int(sys.argv[3]) if len(sys.argv) > 3 else 0]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if failures[0] > 0:
            failures[0] -= 1
            self.send_response(500)
        else:
            with open(path, "ab") as out:
                out.write(body.replace(b"\n", b" ") + b"\n")
            self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


http.server.HTTPServer(("127.0.0.1", port), Handler).serve_forever()
