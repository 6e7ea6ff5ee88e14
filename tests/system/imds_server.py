#!/usr/bin/env python3
"""The system tests' own EC2 instance metadata server, enforcing IMDSv2 as AWS does.

Usage: imds_server.py ADDRESS PORT CONTENT.json REQUEST-LOG

- PUT /latest/api/token needs `X-aws-ec2-metadata-token-ttl-seconds` (1..21600) and is refused
  (403) when it carries `X-Forwarded-For`, like the real service.
- Every GET needs a valid `X-aws-ec2-metadata-token`; without one it is 401 (IMDSv1 disabled).
- Any API version prefix is served (/latest/, /2021-01-03/, ...).
- CONTENT maps paths under the version ("meta-data/instance-id") to text; a path not present is
  404, and a path that is a prefix of others lists the next components, one a line.
Every request is appended to REQUEST-LOG as one JSON line (method, path, headers, status), so
the test can prove what the guest asked for and that a silent guest asked for nothing.
"""

import http.server
import json
import secrets
import sys
import time

address, port, contentFile, requestLog = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
with open(contentFile) as f:
    CONTENT = json.load(f)
TOKENS = {}


def listing(prefix):
    names = []
    for key in CONTENT:
        if key.startswith(prefix) and key != prefix:
            head = key[len(prefix):].split("/", 1)
            name = head[0] + ("/" if len(head) > 1 else "")
            if name not in names:
                names.append(name)
    return names


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def record(self, status):
        with open(requestLog, "a") as f:
            f.write(json.dumps({"method": self.command, "path": self.path, "status": status,
                                "headers": {k.lower(): v for k, v in self.headers.items()}}) + "\n")

    def reply(self, status, body=""):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.record(status)

    def relative(self):
        parts = self.path.split("?", 1)[0].lstrip("/").split("/", 1)
        return parts[1] if len(parts) > 1 else ""

    def do_PUT(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if self.relative() != "api/token":
            return self.reply(405)
        if self.headers.get("X-Forwarded-For"):
            return self.reply(403, "forwarded token requests are refused")
        try:
            ttl = int(self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", ""))
        except ValueError:
            return self.reply(400, "missing or invalid X-aws-ec2-metadata-token-ttl-seconds")
        if not 1 <= ttl <= 21600:
            return self.reply(400, "ttl out of range")
        token = secrets.token_urlsafe(32)
        TOKENS[token] = time.monotonic() + ttl
        self.reply(200, token)

    def do_GET(self):
        token = self.headers.get("X-aws-ec2-metadata-token")
        if not token or TOKENS.get(token, 0) < time.monotonic():
            return self.reply(401)
        rel = self.relative()
        if rel in CONTENT:
            return self.reply(200, CONTENT[rel])
        names = listing(rel if rel.endswith("/") or not rel else rel + "/")
        if names:
            return self.reply(200, "\n".join(names))
        self.reply(404)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer((address, port), Handler)
print("ready", flush=True)
server.serve_forever()
