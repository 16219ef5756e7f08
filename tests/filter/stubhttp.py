# SPDX-License-Identifier: MIT
"""What the filter tests' HTTP stand-ins share (engine-server.py, report-server.py): a quiet
keep-alive handler with one way to answer, and a threading server on a free loopback port that
prints the port as the first line of stdout, then serves until killed."""
import http.server
import ssl


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the engine's front end and libmicrohttpd do
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall

    def log_message(self, fmt, *args):
        pass  # stdout is the port line only; stderr stays quiet

    def answer(self, code, body=b"", ctype="text/plain", extra=()):
        data = body if isinstance(body, bytes) else body.encode()
        self.send_response(code)
        if code != 304:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)


def serve(handler, tls=None, **attrs):
    """Serve handler on 127.0.0.1 (a free port, printed first); tls is "CERT,KEY" or None; attrs
    become attributes of the server, for the handler to read."""
    http.server.ThreadingHTTPServer.request_queue_size = 256  # 50 clients connect at once
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    for k, v in attrs.items():
        setattr(server, k, v)
    if tls:
        cert, _, key = tls.partition(",")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        # A client that refuses the certificate fails the handshake in accept(), which
        # socketserver drops quietly (an OSError).
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
