"""A FHIR server's Bundle endpoint for the delivery tests, written with the
standard library and fhir.resources (PyPI), not with Synoptic. POST /fhir/Bundle
answers as a script of modes says, one per request (the last repeats):

  201   validate the body as a FHIR R4 Bundle; 201 when valid, else 400 with an OperationOutcome
  400   400 with an OperationOutcome
  503   503, try later

Each request is appended to RECEIVED as a JSON line (mode, status, Bundle type).
Usage: fhir_receiver.py PORT RECEIVED MODE[,MODE...]
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from fhir.resources.bundle import Bundle

port, received, modes = int(sys.argv[1]), sys.argv[2], sys.argv[3].split(",")
count = 0


def outcome(text):
    return json.dumps({"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "invalid", "diagnostics": text}]}).encode()


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        global count
        mode = modes[min(count, len(modes) - 1)]
        count += 1
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        status, answer, kind = int(mode), b"", None
        if mode == "201":
            try:
                bundle = Bundle.parse_raw(body)
                kind = bundle.type
                answer = body
            except Exception as e:  # any validation failure is the client's
                status, answer = 400, outcome(str(e)[:500])
        elif mode == "400":
            answer = outcome("rejected by the test receiver")
        with open(received, "a", encoding="utf-8") as f:
            f.write(json.dumps({"mode": mode, "status": status, "type": kind, "path": self.path}) + "\n")
        self.send_response(status)
        self.send_header("Content-Type", "application/fhir+json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


print("listening", flush=True)
ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
