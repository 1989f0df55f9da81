# Python's http.server and urllib on loopback, for SideBySideWithGvisorIT: 50 requests to a threaded server.
import http.server
import threading
import urllib.request


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("path " + self.path).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
port = server.server_address[1]
bodies = [urllib.request.urlopen(f"http://127.0.0.1:{port}/{i}").read().decode() for i in range(50)]
server.shutdown()
print(len(bodies), bodies[0], bodies[-1])
