"""One client for the whole course: the real anthropic SDK, talking to Claude or to the local engine.

    from labkit.llm import get_client
    client = get_client()
    reply = client.messages.create(model="claude-sonnet-4-6", max_tokens=300,
                                   system="You are AcmeCorp support.", messages=[...])

`get_client()` always returns a genuine `anthropic.Anthropic`, and what comes back is always a genuine
`anthropic.types.Message`. Which server answers depends on the model id of each request:
- no ANTHROPIC_API_KEY (the default): every id is answered by llama.cpp's own server on loopback
  (`labkit.engine`), started in this process on first use; or by a shared server for the room when
  LABKIT_LLM_URL is set (`labkit serve`, workshop mode). llama.cpp implements the Messages API itself,
  including streaming, `count_tokens` and `usage.cache_read_input_tokens`;
- ANTHROPIC_API_KEY set: Claude, except for `ft:...` ids, which no Claude account can call: the seed's
  `ft:claude-sonnet-4-6:acmecorp:support-v3` is an illustration. They are always answered by the local
  engine with their LoRA adapter (`labkit.adapters`), in both modes, and the reply's `model` says so.
The only thing between the SDK and a server is a router that picks the server by the request's model id
and forwards the request unchanged. Used by every lesson and lab.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Literal
from urllib.parse import urlsplit

import anthropic
import httpx2

from labkit import adapters, engine
from labkit.models import is_claude_model

Backend = Literal["auto", "claude", "local"]
LOCAL_BASE_URL = "http://labkit.local"   # never resolved: the router replaces it with a server's address
LOCAL_API_KEY = "local-offline-no-key"
CLAUDE_BASE_URL = "https://api.anthropic.com"
LOCAL_TIMEOUT = 1800.0  # seconds: reading the whole knowledge base on 2 cores takes minutes


class MissingAPIKey(RuntimeError):
    """backend="claude" was asked for but ANTHROPIC_API_KEY is not set."""


class SharedServerUnreachable(ConnectionError):
    """LABKIT_LLM_URL is set but no labkit server answers there."""


def backend_name(backend: Backend = "auto") -> str:
    """Resolve "auto": "claude" when ANTHROPIC_API_KEY is set, else "local"."""
    if backend not in ("auto", "claude", "local"):
        raise ValueError(f"backend must be 'auto', 'claude' or 'local', not {backend!r}")
    if backend == "auto":
        return "claude" if os.environ.get("ANTHROPIC_API_KEY") else "local"
    return backend


_noticed: set[str] = set()


def notice_once(key: str, text: str) -> None:
    """Print `labkit: <text>` on stderr the first time `key` is seen in this process."""
    if key not in _noticed:
        _noticed.add(key)
        print(f"labkit: {text}", file=sys.stderr)


# ----------------------------------------------------------------------------------------------
# Which server answers a model id
# ----------------------------------------------------------------------------------------------
def _check_shared(url: str, expect: str | None) -> None:
    """Fail clearly unless a labkit server answers at `url` (serving adapter `expect`, if given)."""
    try:
        models = httpx2.get(f"{url}/v1/models", timeout=5, trust_env=False).json()
        names = [m.get("name") or m.get("id") for m in models.get("models") or models.get("data") or []]
    except (httpx2.HTTPError, ValueError) as exc:
        raise SharedServerUnreachable(
            f"LABKIT_LLM_URL={os.environ.get('LABKIT_LLM_URL')}: no model server answers at {url} "
            f"({exc.__class__.__name__}). Is `labkit serve` running there? Or unset LABKIT_LLM_URL to run "
            "the model on this machine.") from exc
    if expect and not any(str(n).endswith(f"+{expect}") for n in names):
        raise SharedServerUnreachable(f"the shared server at {url} serves {names}, not the adapter {expect!r}: "
                                      "restart it with the same labkit version (`labkit serve`)")


def shared_url(name: str | None = None) -> str | None:
    """The URL of the shared server for the base model (name None) or a course adapter, from LABKIT_LLM_URL:
    `labkit serve --port P` puts the base model on P and course adapter i on P+1+i."""
    url = os.environ.get("LABKIT_LLM_URL", "").rstrip("/")
    if not url:
        return None
    if name is None:
        return url
    parts = urlsplit(url)
    index = [a.name for a in adapters.COURSE_ADAPTERS].index(name)
    return f"{parts.scheme}://{parts.hostname}:{(parts.port or 80) + 1 + index}"


_checked: set[str] = set()


def server_url(model_id: str) -> str:
    """The base URL of the server that answers `model_id` offline (starting a local one if needed)."""
    adapter = adapters.adapter_for(model_id) if adapters.is_finetuned_id(model_id) else None
    name = adapter.name if isinstance(adapter, adapters.Adapter) else None
    url = shared_url(name) if adapter is None or name else None  # a learner's own adapter is never shared
    if url:
        if url not in _checked:
            _check_shared(url, name)
            _checked.add(url)
        return url
    if adapter is None and not is_claude_model(model_id):
        notice_once(f"model:{model_id}", f"model {model_id!r} is not a Claude model the course knows; "
                                         "answering with the local model instead")
    served = engine.local(adapters.adapter_file(model_id) if adapter is not None else None)
    notice_once(f"served:{served.name}", f"answering offline with {served.name} on llama.cpp "
                                         f"(started in {served.load_seconds:.1f} s)")
    return served.url


def _model_of(request: httpx2.Request) -> str | None:
    try:
        body = json.loads(request.read() or b"{}")
    except ValueError:
        return None
    return body.get("model") if isinstance(body, dict) and isinstance(body.get("model"), str) else None


def _error(status: int, kind: str, message: str) -> httpx2.Response:
    return httpx2.Response(status, json={"type": "error", "error": {"type": kind, "message": message}})


class Router(httpx2.BaseTransport):
    """Sends each request, unchanged, to the server for its model id: `ft:` ids (and, offline, all ids)
    to the local engine; with Claude, every other id to Claude's API."""

    def __init__(self, claude: bool):
        self.claude = claude
        self.local = httpx2.HTTPTransport(trust_env=False)  # loopback: never through a proxy
        self.remote = httpx2.HTTPTransport() if claude else None

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        model = _model_of(request)
        if self.remote is not None and not (model and adapters.is_finetuned_id(model)):
            return self.remote.handle_request(request)
        try:
            target = urlsplit(server_url(model or ""))
        except adapters.NoAdapter as exc:
            return _error(404, "not_found_error", str(exc))
        url = request.url.copy_with(scheme=target.scheme, host=target.hostname, port=target.port)
        headers = [(k, v) for k, v in request.headers.raw if k.lower() != b"host"]
        forwarded = httpx2.Request(request.method, url, headers=headers, content=request.read(),
                                   extensions=request.extensions)
        return self.local.handle_request(forwarded)

    def close(self) -> None:
        self.local.close()
        if self.remote is not None:
            self.remote.close()


def get_client(backend: Backend = "auto") -> anthropic.Anthropic:
    """An `anthropic.Anthropic` client: Claude when a key is set (or backend="claude"), else the local engine.
    `ft:` model ids are answered by the local engine in both cases."""
    if backend_name(backend) == "claude":
        if not os.environ.get("ANTHROPIC_API_KEY"):
            raise MissingAPIKey("backend='claude' needs ANTHROPIC_API_KEY in the environment "
                                "(or use backend='auto' to fall back to the local model)")
        base = os.environ.get("ANTHROPIC_BASE_URL", CLAUDE_BASE_URL)
        return anthropic.Anthropic(base_url=base, http_client=httpx2.Client(transport=Router(claude=True),
                                                                            base_url=base, timeout=LOCAL_TIMEOUT))
    url = shared_url()
    if url and url not in _checked:  # workshop mode: fail now, not at the first question
        _check_shared(url, None)
        _checked.add(url)
    return anthropic.Anthropic(
        api_key=LOCAL_API_KEY,
        base_url=LOCAL_BASE_URL,
        max_retries=0,  # a local error will not go away on retry
        timeout=LOCAL_TIMEOUT,
        http_client=httpx2.Client(transport=Router(claude=False), base_url=LOCAL_BASE_URL, timeout=LOCAL_TIMEOUT),
    )

