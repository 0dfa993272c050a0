"""A fake Gemini API on 127.0.0.1: the real google-genai SDK talks to it over HTTP.

Serves generateContent and streamGenerateContent (SSE). Tests script the next responses with
`fake.push(...)`; unscripted requests get a valid answer for the schema that was asked for.
Every request is recorded (path, headers, JSON body) so tests can count retries and cache hits
and inspect what reached the prompt.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field

from flask import Flask, Response, request
from werkzeug.serving import make_server


def candidate_response(text: str | None, *, finish: str = "STOP", tokens=(11, 7)) -> dict:
    cand: dict = {"finishReason": finish, "index": 0}
    if text is not None:
        cand["content"] = {"role": "model", "parts": [{"text": text}]}
    return {
        "candidates": [cand],
        "usageMetadata": {
            "promptTokenCount": tokens[0],
            "candidatesTokenCount": tokens[1],
            "totalTokenCount": tokens[0] + tokens[1],
        },
        "modelVersion": "fake-model",
        "responseId": "fake",
    }


def error_body(code: int) -> dict:
    status = {
        400: "INVALID_ARGUMENT",
        429: "RESOURCE_EXHAUSTED",
        500: "INTERNAL",
        503: "UNAVAILABLE",
    }.get(code, "UNKNOWN")
    return {"error": {"code": code, "message": f"fake {status}", "status": status}}


@dataclass
class Step:
    kind: str  # ok | error | slow | malformed | safety | prompt_blocked
    text: str | None = None
    status: int = 200
    delay: float = 0.0
    chunks: list[str] | None = None


@dataclass
class FakeGemini:
    url: str = ""
    requests: list[dict] = field(default_factory=list)
    script: list[Step] = field(default_factory=list)
    triage_answer: dict = field(
        default_factory=lambda: {
            "category": "billing",
            "priority": "high",
            "confidence": 0.93,
            "rationale": "The user asks about a duplicate charge.",
        }
    )
    draft_answer: dict = field(
        default_factory=lambda: {
            "reply": "Hello, please see the article on refunds.",
            "source_ids": [],
            "confidence": 0.9,
        }
    )
    chat_chunks: list[str] = field(default_factory=lambda: ["Hello from ", "the fake assistant."])
    lock: threading.Lock = field(default_factory=threading.Lock)

    # -- scripting
    def push(self, kind: str, **kw) -> None:
        self.script.append(Step(kind, **kw))

    def fail(self, status: int, times: int = 1) -> None:
        for _ in range(times):
            self.push("error", status=status)

    def count(self, kind: str | None = None) -> int:
        return len(self.calls(kind))

    def calls(self, kind: str | None = None) -> list[dict]:
        return [r for r in self.requests if kind is None or r["kind"] == kind]

    def reset(self) -> None:
        self.requests.clear()
        self.script.clear()

    # -- serving
    def _next(self) -> Step | None:
        with self.lock:
            return self.script.pop(0) if self.script else None

    def _default_text(self, body: dict) -> str:
        schema = json.dumps((body.get("generationConfig") or {}).get("responseSchema") or {})
        if "rationale" in schema:
            return json.dumps(self.triage_answer)
        return json.dumps(self.draft_answer)

    def handle(self, stream: bool):
        body = request.get_json(force=True, silent=True) or {}
        self.requests.append(
            {
                "kind": "stream" if stream else "generate",
                "path": request.path,
                "query": request.query_string.decode(),
                "headers": dict(request.headers),
                "json": body,
            }
        )
        step = self._next() or Step("ok")
        if step.delay:
            time.sleep(step.delay)
        if step.kind == "error":
            return Response(
                json.dumps(error_body(step.status)),
                status=step.status,
                mimetype="application/json",
            )
        if step.kind == "malformed":
            return Response("<html>definitely not json", status=200, mimetype="application/json")
        if step.kind == "safety":
            payload = candidate_response(None, finish="SAFETY")
        elif step.kind == "prompt_blocked":
            payload = {"promptFeedback": {"blockReason": "SAFETY"}}
        elif stream:
            chunks = step.chunks or (
                [step.text] if step.text is not None else list(self.chat_chunks)
            )
            events = []
            for i, chunk in enumerate(chunks):
                piece = {"candidates": [{"content": {"role": "model", "parts": [{"text": chunk}]}}]}
                if i == len(chunks) - 1:
                    piece = candidate_response(chunk)
                events.append(f"data: {json.dumps(piece)}\r\n\r\n")
            return Response("".join(events), mimetype="text/event-stream")
        else:
            payload = candidate_response(
                step.text if step.text is not None else self._default_text(body)
            )
        if stream:
            return Response(f"data: {json.dumps(payload)}\r\n\r\n", mimetype="text/event-stream")
        return Response(json.dumps(payload), mimetype="application/json")


def start_fake() -> tuple[FakeGemini, object]:
    fake = FakeGemini()
    app = Flask("fake_gemini")

    @app.post("/v1beta/models/<model>:generateContent")
    def generate(model):
        return fake.handle(stream=False)

    @app.post("/v1beta/models/<model>:streamGenerateContent")
    def stream(model):
        return fake.handle(stream=True)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    fake.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return fake, server
