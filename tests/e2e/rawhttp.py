"""rawhttp — one HTTP/1.x exchange over a plain socket, keeping what http.client hides:
the status line as sent, header names in order, chunk boundaries, the bytes after the
head. Standard library only.

    r = exchange(port, "POST", "/api/generate", body=b'{"model":"tiny"}')
    r.status, r.header_names, r.chunks, r.json_lines()
"""

import json
import socket
import time


class Response:
    def __init__(self):
        self.raw = b""           # every byte received
        self.status_line = ""
        self.status = None
        self.headers = []        # (name, value) in order
        self.chunks = []         # chunked: each chunk's data, in order
        self.chunked = False
        self.body = b""          # de-chunked body
        self.closed = False      # the server closed the connection after the response
        self.complete = False

    @property
    def header_names(self):
        return [k for k, _ in self.headers]

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def json(self):
        return json.loads(self.body)

    def json_lines(self):
        return [json.loads(x) for x in self.body.split(b"\n") if x.strip()]


def build_request(method, path, body=b"", host="127.0.0.1", port=0, version="1.1",
                  headers=None, send_host=True):
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    elif isinstance(body, str):
        body = body.encode()
    lines = ["%s %s HTTP/%s" % (method, path, version)]
    if send_host:
        lines.append("Host: %s:%d" % (host, port))
    for k, v in (headers or []):
        lines.append("%s: %s" % (k, v))
    if body or method == "POST":
        lines.append("Content-Type: application/json")
        lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def parse_response(raw, method="GET", closed=False):
    """One HTTP/1.x response parsed from raw bytes, as far as they go (a capture file, or
    what a socket gave so far); closed: the server closed after them, which ends a body
    framed by neither Content-Length nor chunking."""
    r = Response()
    r.raw, r.closed = raw, closed
    if b"\r\n\r\n" not in raw:
        return r
    head, rest = raw.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    r.status_line = lines[0]
    r.status = int(lines[0].split()[1])
    for line in lines[1:]:
        k, v = line.split(":", 1)
        r.headers.append((k, v.strip()))
    cl = r.header("Content-Length")
    if method == "HEAD" or r.status in (204, 304):
        r.complete = True
    elif (r.header("Transfer-Encoding") or "").lower() == "chunked":
        r.chunked = True
        while b"\r\n" in rest:
            size_line, after = rest.split(b"\r\n", 1)
            size = int(size_line, 16)
            if len(after) < size + 2:
                break
            data, rest = after[:size], after[size + 2:]
            if size == 0:
                r.complete = True
                break
            r.chunks.append(data)
            r.body += data
    elif cl is not None:
        n = int(cl)
        r.body = rest[:n]
        r.complete = len(rest) >= n
    else:
        r.body = rest
        r.complete = closed
    return r


def exchange(port, method, path, body=b"", version="1.1", headers=None, send_host=True,
             raw_request=None, timeout=30.0, linger=None):
    """Sends one request and reads one response (until it is complete, the server closes,
    or timeout), plus whether the server then closed the connection: it waits up to
    `linger` seconds for that after a complete response (default: 1 s when the response
    says it will close or is HTTP/1.0, else 20 ms; 0 does not wait)."""
    req = raw_request if raw_request is not None else build_request(
        method, path, body, port=port, version=version, headers=headers, send_host=send_host)
    raw, closed = b"", False
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(req)
        deadline = time.monotonic() + timeout

        def more():
            nonlocal raw, closed
            s.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                d = s.recv(65536)
            except socket.timeout:
                return False
            except ConnectionResetError:
                closed = True
                return False
            if not d:
                closed = True
                return False
            raw += d
            return True

        r = parse_response(raw, method, closed)
        while not r.complete and more():
            r = parse_response(raw, method, closed)
        r = parse_response(raw, method, closed)
        if not r.complete or closed:
            return r
        # Does the server close after this response?
        if linger is None:
            closing = (r.header("Connection") or "").lower() == "close" or \
                r.status_line.startswith("HTTP/1.0")
            linger = 1.0 if closing else 0.02
        deadline = time.monotonic() + linger
        while not closed and time.monotonic() < deadline:
            if not more():
                break
    return parse_response(raw, method, closed)


def key_shape(v):
    """A JSON value's shape: objects as (key, shape) lists in order, lists by their first
    element, scalars by type."""
    if isinstance(v, dict):
        return [(k, key_shape(x)) for k, x in v.items()]
    if isinstance(v, list):
        return ["list", key_shape(v[0])] if v else ["list"]
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if v is None:
        return "null"
    return "str"
