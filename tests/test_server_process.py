"""Each llama.cpp server runs in a child process of its own (labkit.server_process), answers from there,
stops when asked, and a child that cannot start says why."""

from __future__ import annotations

import os

import anthropic
import pytest

from labkit import engine
from labkit.adapters import FORMAT
from labkit.server_process import ServerProcessError, spawn

ASK = [{"role": "user", "content": "Say hi."}]


def _answer(served: engine.Served) -> str:
    client = anthropic.Anthropic(api_key="local", base_url=served.url, max_retries=0)
    return client.messages.create(model="local", max_tokens=8, messages=ASK).content[0].text


def test_two_servers_run_in_two_processes_both_answer_and_stop_on_request():
    base = engine.start(engine.model_path())
    adapted = engine.start(engine.model_path(), FORMAT.path)
    assert len({os.getpid(), base.pid, adapted.pid}) == 3
    assert _answer(base) and _answer(adapted)
    assert _answer(base) == _answer(base)  # the same request, the same text, with the other server up
    pid = adapted.pid
    adapted.server.stop()
    assert not os.path.exists(f"/proc/{pid}")  # stopped and reaped
    with pytest.raises(anthropic.APIConnectionError):
        _answer(adapted)
    assert _answer(base)


def test_a_child_whose_server_fails_passes_on_llama_cpps_error(tmp_path):
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF but nothing after the magic")
    config = {"model": str(bad), "adapter": None, "alias": "bad", "host": "127.0.0.1", "port": 0,
              "parallel": 1, "n_ctx": 512, "quiet": True}
    with pytest.raises(ServerProcessError) as caught:
        spawn(config)
    assert "exit code" not in str(caught.value)  # the child's own ERROR line, not a crash


def test_a_child_that_dies_before_it_is_ready_is_an_error_naming_its_exit_code():
    with pytest.raises(ServerProcessError, match="exit code 1 before it was ready"):
        spawn({"model": "no config keys beyond this one"})
