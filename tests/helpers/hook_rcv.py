# SPDX-License-Identifier: Apache-2.0
"""A webhook receiver for the test scripts, on 127.0.0.1 (an ephemeral
port). Usage: python3 hook_rcv.py DIR. Answers every POST 200, or 503
under /fail; appends each body, newlines replaced by spaces, as one line
of DIR/hooks.jsonl; writes its port to DIR/recv.port (whole, through a
rename) once it listens. Runs until killed."""
import http.server
import os
import sys

d = sys.argv[1]
out = open(os.path.join(d, "hooks.jsonl"), "ab", buffering=0)


class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        b = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        out.write(b.replace(b"\n", b" ") + b"\n")
        self.send_response(503 if self.path.startswith("/fail") else 200)
        self.end_headers()

    def log_message(self, *args):
        pass


srv = http.server.HTTPServer(("127.0.0.1", 0), H)
with open(os.path.join(d, "recv.port.tmp"), "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(os.path.join(d, "recv.port.tmp"), os.path.join(d, "recv.port"))
srv.serve_forever()
