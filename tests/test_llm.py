"""labkit.llm + labkit.engine: the real anthropic SDK answered by llama.cpp's own server, offline."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import anthropic
import httpx2
import pytest
from anthropic.types import Message

from labkit import adapters, engine, llm

SEED_SYSTEM = "You are AcmeCorp support. Refunds: full refund within 14 days."
ASK = [{"role": "user", "content": "Can I get a refund?"}]
LONG_SYSTEM = SEED_SYSTEM + " " + " ".join(f"Fact {i}: plan {i} costs ${i}/month." for i in range(120))


def test_auto_picks_local_without_key(monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    assert llm.backend_name("auto") == "local"
    client = llm.get_client()
    assert isinstance(client, anthropic.Anthropic)
    assert str(client.base_url).startswith(llm.LOCAL_BASE_URL)


def test_claude_backend_without_key_names_the_variable(monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(llm.MissingAPIKey, match="ANTHROPIC_API_KEY"):
        llm.get_client("claude")
    with pytest.raises(ValueError, match="backend"):
        llm.get_client("openai")


def test_create_returns_a_real_message_from_llama_cpp(local_client):
    msg = local_client.messages.create(model="claude-sonnet-4-6", max_tokens=60, system=SEED_SYSTEM, messages=ASK)
    assert isinstance(msg, Message)
    assert msg.role == "assistant" and msg.content[0].type == "text" and msg.content[0].text.strip()
    assert msg.model == engine.MODEL_NAME  # the server says which model really answered
    assert msg.stop_reason in ("end_turn", "max_tokens")
    counted = local_client.messages.count_tokens(model="claude-sonnet-4-6", system=SEED_SYSTEM, messages=ASK)
    # Anthropic's usage semantics: input_tokens excludes what was read from the prompt cache
    assert msg.usage.input_tokens + (msg.usage.cache_read_input_tokens or 0) == counted.input_tokens > 10
    assert 0 < msg.usage.output_tokens <= 60


def test_one_slot_by_default(local_client):
    local_client.messages.count_tokens(model="claude-sonnet-4-6", messages=ASK)
    props = httpx2.get(f"{engine.local().url}/props", trust_env=False).json()
    assert props["total_slots"] == 1


def test_identical_requests_give_identical_text_even_after_others(local_client):
    kwargs = dict(model="claude-haiku-4-5", max_tokens=40, system=SEED_SYSTEM, messages=ASK)
    first = local_client.messages.create(**kwargs).content[0].text
    local_client.messages.create(model="claude-sonnet-4-6", max_tokens=20,
                                 messages=[{"role": "user", "content": "Name three colours."}])
    assert local_client.messages.create(**kwargs).content[0].text == first


def test_a_long_system_prompt_is_read_once_then_from_the_cache(local_client):
    kwargs = dict(model="claude-sonnet-4-6", max_tokens=20, system=LONG_SYSTEM, messages=ASK)
    local_client.messages.create(model="claude-sonnet-4-6", max_tokens=5,
                                 messages=[{"role": "user", "content": "Something else entirely."}])
    first = local_client.messages.create(**kwargs)
    second = local_client.messages.create(**kwargs)
    assert (second.usage.cache_read_input_tokens or 0) > 1000
    assert second.usage.input_tokens < first.usage.input_tokens
    assert second.content[0].text == first.content[0].text


def test_cache_control_blocks_and_system_as_blocks_are_accepted(local_client):
    plain = local_client.messages.create(model="claude-sonnet-4-6", max_tokens=20, system=SEED_SYSTEM, messages=ASK)
    blocks = local_client.messages.create(
        model="claude-sonnet-4-6", max_tokens=20,
        system=[{"type": "text", "text": SEED_SYSTEM, "cache_control": {"type": "ephemeral"}}],
        messages=[{"role": "user", "content": [{"type": "text", "text": ASK[0]["content"],
                                                "cache_control": {"type": "ephemeral"}}]}])
    assert blocks.content[0].text == plain.content[0].text


def test_max_tokens_stops_with_max_tokens_reason(local_client):
    msg = local_client.messages.create(model="claude-sonnet-4-6", max_tokens=3,
                                       messages=[{"role": "user", "content": "Count from 1 to 50."}])
    assert msg.stop_reason == "max_tokens" and msg.usage.output_tokens == 3


def test_stop_sequences(local_client):
    msg = local_client.messages.create(model="claude-sonnet-4-6", max_tokens=60, stop_sequences=["3"],
                                       messages=[{"role": "user", "content": "Count from 1 to 10, comma separated."}])
    assert msg.stop_sequence == "3" and "3" not in msg.content[0].text and "2" in msg.content[0].text


def test_stream_yields_the_same_text_as_create(local_client):
    with local_client.messages.stream(model="claude-sonnet-4-6", max_tokens=40, system=SEED_SYSTEM,
                                      messages=ASK) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()
    plain = local_client.messages.create(model="claude-sonnet-4-6", max_tokens=40, system=SEED_SYSTEM, messages=ASK)
    assert len(pieces) > 1 and "".join(pieces) == final.content[0].text == plain.content[0].text
    assert final.usage.output_tokens == plain.usage.output_tokens


def test_unknown_model_gets_a_one_line_notice_not_a_crash(local_client, capsys):
    msg = local_client.messages.create(model="gpt-4o-imaginary", max_tokens=5, messages=ASK)
    assert msg.content[0].text
    err = capsys.readouterr().err
    assert "gpt-4o-imaginary" in err and err.count("gpt-4o-imaginary") == 1


def test_unknown_finetuned_id_is_a_not_found_error_naming_the_known_ones(local_client):
    with pytest.raises(anthropic.NotFoundError, match=adapters.FORMAT.model_id):
        local_client.messages.create(model="ft:nobody:trained:this", max_tokens=5, messages=ASK)


def test_context_overflow_is_a_clear_400(local_client):
    huge = "word " * (engine.N_CTX + 100)
    with pytest.raises(anthropic.BadRequestError, match="context size"):
        local_client.messages.create(model="claude-sonnet-4-6", max_tokens=5,
                                     messages=[{"role": "user", "content": huge}])


def test_a_missing_or_damaged_model_file_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("LABKIT_LOCAL_MODEL", str(tmp_path / "nothing.gguf"))
    with pytest.raises(engine.EngineError, match="does not exist"):
        engine.model_path()
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"not a model at all")
    monkeypatch.setenv("LABKIT_LOCAL_MODEL", str(bad))
    with pytest.raises(engine.EngineError, match="not a GGUF file"):
        engine.model_path()


def test_the_server_ends_with_its_process():
    code = "from labkit import engine; print(engine.local().url, flush=True)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    url = out.stdout.split()[-1]
    host, port = url.removeprefix("http://").split(":")
    with pytest.raises(OSError), socket.create_connection((host, int(port)), timeout=2):
        pass


class _ScriptedClaude(BaseHTTPRequestHandler):
    """A stand-in for Claude's API on loopback: records every request body, answers with a fixed Message."""

    seen: list[dict] = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        _ScriptedClaude.seen.append(body)
        reply = {"id": "msg_scripted", "type": "message", "role": "assistant", "model": body["model"],
                 "content": [{"type": "text", "text": "from the scripted Claude"}], "stop_reason": "end_turn",
                 "stop_sequence": None, "usage": {"input_tokens": 3, "output_tokens": 4}}
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def test_with_a_key_no_finetuned_id_ever_reaches_claude(monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ScriptedClaude)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-dummy-for-the-test")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", f"http://127.0.0.1:{server.server_port}")
    _ScriptedClaude.seen.clear()
    try:
        client = llm.get_client()
        claude = client.messages.create(model="claude-sonnet-4-6", max_tokens=5, messages=ASK)
        tuned = client.messages.create(model=adapters.FORMAT.aliases[0], max_tokens=40, messages=ASK)
    finally:
        server.shutdown()
    assert claude.content[0].text == "from the scripted Claude"
    assert [b["model"] for b in _ScriptedClaude.seen] == ["claude-sonnet-4-6"]
    assert tuned.model == f"{engine.MODEL_NAME}+support-format"  # answered locally, with the adapter


def test_an_unreachable_shared_server_is_a_clear_error(monkeypatch):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("LABKIT_LLM_URL", f"http://127.0.0.1:{port}")
    with pytest.raises(llm.SharedServerUnreachable, match="labkit serve"):
        llm.get_client()


@pytest.mark.slow
def test_labkit_serve_answers_another_process_through_labkit_llm_url(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    serve = subprocess.Popen([sys.executable, "-m", "labkit.cli", "serve", "--port", str(port)],
                             stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    try:
        started = time.time()
        lines = []
        while not any("LABKIT_LLM_URL" in line for line in lines) and time.time() - started < 120:
            lines.append(serve.stdout.readline())
        code = ("from labkit.llm import get_client; from labkit.adapters import FORMAT; c = get_client()\n"
                "hi = [{'role': 'user', 'content': 'hi'}]\n"
                "a = c.messages.create(model='claude-sonnet-4-6', max_tokens=5, messages=hi)\n"
                "b = c.messages.create(model=FORMAT.model_id, max_tokens=5, messages=hi)\n"
                "print(a.model); print(b.model)")
        env = {**os.environ, "LABKIT_LLM_URL": f"http://127.0.0.1:{port}"}
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    finally:
        serve.terminate()
        serve.wait(timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [engine.MODEL_NAME, f"{engine.MODEL_NAME}+support-format"]
    assert "answering offline" not in out.stderr  # the learner's process loaded no model of its own
