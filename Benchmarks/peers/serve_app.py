"""The Python peer of `synoptic serve` for Benchmarks/compare-serve.sh: a
minimal ASGI application (no framework) over peers/pipeline.py, run by uvicorn
with uvloop and httptools, the fastest Python HTTP stack we could make it run
on. It does the work our two measured endpoints do, per request:

  POST /api/v1/render?format=text  bearer token, JSON case body (at most 1 MiB):
                                   decode, validate, derive, fill, render text
  POST /api/v1/derive              the same up to the fill, then the derivation as JSON

Errors are problem documents, as ours are: 401, 413, 415, 422.
Environment: SYNOPTIC_TEMPLATES (the Templates directory), PEER_TOKEN (the one
accepted bearer token; only its SHA-256 is kept, as our store keeps it).
"""
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pipeline  # noqa: E402

TEMPLATES = pipeline.Templates(os.environ["SYNOPTIC_TEMPLATES"])
TOKENS = {hashlib.sha256(os.environ["PEER_TOKEN"].encode()).hexdigest()}
MAX_BODY = 1 << 20


async def respond(send, status, body, content_type):
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


async def problem(send, status, detail, diagnostics=None):
    doc = {"type": "about:blank", "status": status, "detail": detail}
    if diagnostics:
        doc["diagnostics"] = [{"severity": s, "path": p, "rule": r, "message": m} for s, p, r, m, *_ in diagnostics]
    await respond(send, status, json.dumps(doc, indent=2).encode(), b"application/problem+json")


def derive(text):
    """Decode, validate, derive and fill, as `prepare` does; raises CaseError."""
    c = pipeline.DECODER.case(json.loads(text))
    template = TEMPLATES.for_case(c)
    if template is None:
        raise pipeline.CaseError("", "no template applies to this case")
    d, diags = pipeline.validate(c)
    pipeline.fill(template, c, d, diags)
    errors = [x for x in diags if x[0] == "error"]
    if errors:
        raise pipeline.CaseError(errors[0][1], "; ".join(f"{x[1]}: {x[3]}" for x in errors))
    return c, d, diags


def derivation_json(c, d, diags):
    g = d["grade"]
    m = d["margins"]
    doc = {
        "accession": c["accession"],
        "grade": {"grade": pipeline.grade_display(g["grade"]), "value": pipeline.grade_value(g["grade"]),
                  "ajcc": pipeline.grade_ajcc(g["grade"]), "working": g.get("working")},
        "pT": d["pT"], "t": d["t"], "tWorking": d["tWorking"], "n": d["n"], "pN": d["pN"], "m": d["m"], "pM": d["pM"],
        "stageGroup": d["stage"], "stageReason": d["stageReason"],
        "margins": None if m is None else {"rClass": m["r"], "involved": m["involved"], "closeText": m["closeText"],
                                           "working": m["working"]},
        "stainChanges": [str(x) for x in d["stainChanges"]],
        "diagnostics": [{"severity": s, "path": p, "rule": r, "message": msg} for s, p, r, msg, *_ in diags],
    }
    return json.dumps(doc, indent=2, default=str).encode()


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    headers = dict(scope["headers"])
    path = scope["path"]
    if scope["method"] != "POST" or path not in ("/api/v1/render", "/api/v1/derive"):
        return await problem(send, 404, "no such resource")
    auth = headers.get(b"authorization", b"")
    if not auth.lower().startswith(b"bearer ") or hashlib.sha256(auth[7:].strip()).hexdigest() not in TOKENS:
        return await problem(send, 401, "this endpoint needs a bearer token")
    if headers.get(b"content-type", b"").split(b";")[0].strip() != b"application/json":
        return await problem(send, 415, "send the case as application/json")
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
        if len(body) > MAX_BODY:
            return await problem(send, 413, "the request body is over the limit")
    try:
        text = body.decode("utf-8")
        if path == "/api/v1/render":
            outputs, _ = pipeline.render_case(text, TEMPLATES, {"text"})
            return await respond(send, 200, outputs["txt"], b"text/plain; charset=utf-8")
        c, d, diags = derive(text)
        return await respond(send, 200, derivation_json(c, d, diags), b"application/json")
    except pipeline.CaseError as e:
        return await problem(send, 422, f"the case has errors: {e}")
    except ValueError as e:  # not UTF-8, not JSON
        return await problem(send, 400, f"the body cannot be read: {e}")
