"""One client for the whole course: the real anthropic SDK, online or offline.

    from labkit.llm import get_client
    client = get_client()
    reply = client.messages.create(model="claude-sonnet-4-6", max_tokens=300,
                                   system="You are AcmeCorp support.", messages=[...])

`get_client()` always returns a genuine `anthropic.Anthropic`. With ANTHROPIC_API_KEY set, it talks to
Claude. Without a key it talks to a *local backend*: the SDK still builds and sends its usual HTTP
requests, but an in-process transport (`httpx2.MockTransport`, no port, no thread) hands them to a small
local model instead of the network. So every notebook cell is the code you would run against Claude, and
the objects you get back are real `anthropic.types.Message`s with honest `usage` token counts.

The local backend speaks three endpoints of the Messages API:
- POST /v1/messages                 -> a Message (or, with stream=True, server-sent events)
- POST /v1/messages/count_tokens    -> {"input_tokens": n}
Any Claude model id is answered by the local model; other ids get a one-line notice, never a crash.
Two kinds of ids are answered by module 3's fine-tuning model instead (labkit.finetune.model): "ft:..."
(e.g. the seed's "ft:claude-sonnet-4-6:acmecorp:support-v3") by the LoRA adapter registered for it or the
most recently trained one, and "local:smollm2" by the same base model without an adapter.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any, Literal

import anthropic
import httpx2

from labkit import local_model
from labkit.models import is_claude_model

Backend = Literal["auto", "claude", "local"]
LOCAL_BASE_URL = "http://labkit.local"  # never resolved: the transport answers before any connection
LOCAL_API_KEY = "local-offline-no-key"


class MissingAPIKey(RuntimeError):
    """backend="claude" was asked for but ANTHROPIC_API_KEY is not set."""


def backend_name(backend: Backend = "auto") -> str:
    """Resolve "auto": "claude" when ANTHROPIC_API_KEY is set, else "local"."""
    if backend not in ("auto", "claude", "local"):
        raise ValueError(f"backend must be 'auto', 'claude' or 'local', not {backend!r}")
    if backend == "auto":
        return "claude" if os.environ.get("ANTHROPIC_API_KEY") else "local"
    return backend


def get_client(backend: Backend = "auto", *, model_path: str | os.PathLike | None = None) -> anthropic.Anthropic:
    """An `anthropic.Anthropic` client: Claude when a key is set (or backend="claude"), else the local model.

    model_path: a GGUF file for the local backend (default: the course model, or $LABKIT_LOCAL_MODEL).
    """
    if backend_name(backend) == "claude":
        if not os.environ.get("ANTHROPIC_API_KEY"):
            raise MissingAPIKey("backend='claude' needs ANTHROPIC_API_KEY in the environment "
                                "(or use backend='auto' to fall back to the local model)")
        return anthropic.Anthropic()
    handler = LocalHandler(model_path)
    return anthropic.Anthropic(
        api_key=LOCAL_API_KEY,
        base_url=LOCAL_BASE_URL,
        max_retries=0,  # a local error will not go away on retry
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler), base_url=LOCAL_BASE_URL),
    )


# ----------------------------------------------------------------------------------------------
# The local backend: HTTP request in, Messages API response out.
# ----------------------------------------------------------------------------------------------
_noticed: set[str] = set()


def _notice_once(key: str, text: str) -> None:
    if key not in _noticed:
        _noticed.add(key)
        print(f"labkit: {text}", file=sys.stderr)


class RequestError(ValueError):
    """A request the Messages API would reject; becomes an HTTP 400 invalid_request_error."""


def _text_of(content: Any, where: str) -> str:
    """The text of a message's or the system prompt's content: a string or a list of text blocks."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for i, block in enumerate(content):
            if not isinstance(block, dict) or block.get("type") != "text":
                kind = block.get("type") if isinstance(block, dict) else type(block).__name__
                raise RequestError(f"{where}.{i}: the local model reads text blocks only, not {kind!r}")
            parts.append(block.get("text", ""))
        return "".join(parts)
    raise RequestError(f"{where}: content must be a string or a list of content blocks")


def parse_request(body: dict) -> tuple[str, str | None, list[tuple[str, str]]]:
    """Check a Messages API request body and return (model, system, [(role, text), ...])."""
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise RequestError("model: field required")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise RequestError("messages: at least one message is required")
    turns = []
    for i, m in enumerate(messages):
        role = m.get("role") if isinstance(m, dict) else None
        if role not in ("user", "assistant"):
            raise RequestError(f"messages.{i}.role: must be 'user' or 'assistant', got {role!r}")
        turns.append((role, _text_of(m.get("content"), f"messages.{i}.content")))
    if turns[0][0] != "user":
        raise RequestError("messages.0.role: the first message must use the 'user' role")
    system = body.get("system")
    return model, (_text_of(system, "system") if system is not None else None), turns


class LocalHandler:
    """Answers the SDK's HTTP requests with the local model (callable by httpx2.MockTransport)."""

    def __init__(self, model_path: str | os.PathLike | None = None):
        self.model_path = model_path
        self._model: local_model.LocalModel | None = None

    @property
    def model(self) -> local_model.LocalModel:
        if self._model is None:  # load lazily: creating a client stays instant
            self._model = local_model.load(self.model_path)
            _notice_once("backend", f"no ANTHROPIC_API_KEY: answering offline with the local model "
                                    f"{self._model.name} (loaded in {self._model.load_seconds:.1f} s)")
        return self._model

    def model_for(self, model_id: str) -> local_model.LocalModel:
        """The model that answers `model_id`: the fine-tuning model for "ft:..." and "local:smollm2"
        (a FinetunedModel, same interface), else the course's local model."""
        from labkit.finetune import model as finetuned  # on demand: only these ids need it

        if not finetuned.is_served_id(model_id):
            return self.model
        try:
            return finetuned.model_for_id(model_id)
        except finetuned.NoAdapter as exc:
            raise RequestError(str(exc)) from exc

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        path = request.url.path
        try:
            body = json.loads(request.read() or b"{}")
            if request.method == "POST" and path == "/v1/messages":
                return self.messages(body)
            if request.method == "POST" and path == "/v1/messages/count_tokens":
                model_id, system, turns = parse_request(body)
                count = self.model_for(model_id).count_tokens(system, turns)
                return httpx2.Response(200, json={"input_tokens": count})
            return _error(404, "not_found_error", f"the local backend does not serve {request.method} {path}")
        except (RequestError, local_model.ContextOverflow, json.JSONDecodeError) as exc:
            return _error(400, "invalid_request_error", str(exc))
        except local_model.LocalModelError as exc:
            return _error(500, "api_error", str(exc))

    def messages(self, body: dict) -> httpx2.Response:
        model_id, system, turns = parse_request(body)
        max_tokens = body.get("max_tokens")
        if not isinstance(max_tokens, int) or max_tokens < 1:
            raise RequestError("max_tokens: must be a positive integer")
        model = self.model_for(model_id)
        if model is self._model and not is_claude_model(model_id):  # the course model answers it
            _notice_once(f"model:{model_id}", f"model {model_id!r} is not a Claude model the course knows; "
                                              f"answering with the local model instead")
        stops = body.get("stop_sequences") or []
        if body.get("stream"):
            events = self._events(model, system, turns, max_tokens, stops)
            return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=events)
        result = model.generate(system, turns, max_tokens, stops)
        return httpx2.Response(200, json=self._message(model, result))

    def _message(self, model: local_model.LocalModel, g: local_model.Generation | None) -> dict:
        """A Message body; `g=None` gives the empty shell that opens a stream."""
        return {
            "id": f"msg_local_{uuid.uuid4().hex[:24]}",
            "type": "message",
            "role": "assistant",
            "model": model.name,  # honest: says which model really answered
            "content": [{"type": "text", "text": g.text}] if g else [],
            "stop_reason": g.stop_reason if g else None,
            "stop_sequence": g.stop_sequence if g else None,
            "usage": {"input_tokens": g.input_tokens if g else 0, "output_tokens": g.output_tokens if g else 0},
        }

    def _events(self, model, system, turns, max_tokens, stops) -> Iterator[bytes]:
        """The Messages API's server-sent events, generated lazily: text arrives as the model writes it."""
        input_tokens = model.count_tokens(system, turns)
        start = self._message(model, None)
        start["usage"] = {"input_tokens": input_tokens, "output_tokens": 0}
        yield _sse("message_start", {"type": "message_start", "message": start})
        yield _sse("content_block_start", {"type": "content_block_start", "index": 0,
                                           "content_block": {"type": "text", "text": ""}})
        final = None
        for piece in model.stream(system, turns, max_tokens, stops):
            if isinstance(piece, local_model.Generation):
                final = piece
            else:
                yield _sse("content_block_delta", {"type": "content_block_delta", "index": 0,
                                                   "delta": {"type": "text_delta", "text": piece}})
        yield _sse("content_block_stop", {"type": "content_block_stop", "index": 0})
        yield _sse("message_delta", {"type": "message_delta",
                                     "delta": {"stop_reason": final.stop_reason, "stop_sequence": final.stop_sequence},
                                     "usage": {"output_tokens": final.output_tokens}})
        yield _sse("message_stop", {"type": "message_stop"})


def _sse(event: str, data: dict) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


def _error(status: int, kind: str, message: str) -> httpx2.Response:
    return httpx2.Response(status, json={"type": "error", "error": {"type": kind, "message": message}})


def timed_create(client: anthropic.Anthropic, **kwargs: Any) -> tuple[anthropic.types.Message, float]:
    """`client.messages.create(**kwargs)` and its wall time in milliseconds."""
    started = time.perf_counter()
    message = client.messages.create(**kwargs)
    return message, (time.perf_counter() - started) * 1000
