"""labkit.llm: the real anthropic SDK answered by the local model, offline."""

from __future__ import annotations

import anthropic
import pytest
from anthropic.types import Message

from labkit import llm

SEED_SYSTEM = "You are AcmeCorp support. Refunds: full refund within 14 days."
ASK = [{"role": "user", "content": "Can I get a refund?"}]


def test_auto_picks_local_without_key(monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    assert llm.backend_name("auto") == "local"
    client = llm.get_client()
    assert isinstance(client, anthropic.Anthropic)
    assert str(client.base_url).startswith(llm.LOCAL_BASE_URL)


def test_auto_picks_claude_with_key(monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-not-used")
    assert llm.backend_name("auto") == "claude"
    client = llm.get_client()
    assert isinstance(client, anthropic.Anthropic)
    assert "labkit.local" not in str(client.base_url)  # a real Claude client; no call is made here


def test_claude_backend_without_key_names_the_variable(monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(llm.MissingAPIKey, match="ANTHROPIC_API_KEY"):
        llm.get_client("claude")
    with pytest.raises(ValueError, match="backend"):
        llm.get_client("openai")


def test_create_returns_a_real_message_with_honest_usage(local_client):
    msg = local_client.messages.create(model="claude-sonnet-4-6", max_tokens=60, system=SEED_SYSTEM, messages=ASK)
    assert isinstance(msg, Message)
    assert msg.role == "assistant" and msg.content[0].type == "text"
    assert msg.content[0].text.strip()
    assert msg.stop_reason in ("end_turn", "max_tokens")
    # usage is counted by the model's tokenizer: input equals count_tokens, output is what was generated
    counted = local_client.messages.count_tokens(model="claude-sonnet-4-6", system=SEED_SYSTEM, messages=ASK)
    assert msg.usage.input_tokens == counted.input_tokens > 10
    assert 0 < msg.usage.output_tokens <= 60


def test_greedy_generation_is_deterministic(local_client):
    kwargs = dict(model="claude-haiku-4-5", max_tokens=40, system=SEED_SYSTEM, messages=ASK)
    first = local_client.messages.create(**kwargs).content[0].text
    second = local_client.messages.create(**kwargs).content[0].text
    assert first == second


def test_max_tokens_stops_with_max_tokens_reason(local_client):
    msg = local_client.messages.create(model="claude-sonnet-4-6", max_tokens=3,
                                       messages=[{"role": "user", "content": "Count from 1 to 50."}])
    assert msg.stop_reason == "max_tokens" and msg.usage.output_tokens == 3


def test_stop_sequences(local_client):
    msg = local_client.messages.create(model="claude-sonnet-4-6", max_tokens=60, stop_sequences=["3"],
                                       messages=[{"role": "user", "content": "Count from 1 to 10, comma separated."}])
    assert msg.stop_reason == "stop_sequence" and msg.stop_sequence == "3"
    assert "3" not in msg.content[0].text


def test_stream_yields_text_and_final_message(local_client):
    pieces = []
    with local_client.messages.stream(model="claude-sonnet-4-6", max_tokens=40, system=SEED_SYSTEM,
                                      messages=ASK) as stream:
        for text in stream.text_stream:
            pieces.append(text)
        final = stream.get_final_message()
    assert len(pieces) > 1
    assert "".join(pieces) == final.content[0].text
    plain = local_client.messages.create(model="claude-sonnet-4-6", max_tokens=40, system=SEED_SYSTEM, messages=ASK)
    assert final.content[0].text == plain.content[0].text
    assert final.usage.output_tokens == plain.usage.output_tokens


def test_unknown_model_gets_a_notice_not_a_crash(local_client, capsys):
    msg = local_client.messages.create(model="gpt-4o-imaginary", max_tokens=5, messages=ASK)
    assert msg.content[0].text
    assert "gpt-4o-imaginary" in capsys.readouterr().err


def test_text_block_content_and_multi_turn(local_client):
    msg = local_client.messages.create(
        model="claude-sonnet-4-6", max_tokens=20,
        system=[{"type": "text", "text": SEED_SYSTEM}],
        messages=[{"role": "user", "content": [{"type": "text", "text": "Hi"}]},
                  {"role": "assistant", "content": "Hello! How can I help?"},
                  {"role": "user", "content": "Can I get a refund?"}])
    assert msg.usage.input_tokens > 20


@pytest.mark.parametrize("bad, match", [
    ({"messages": []}, "at least one message"),
    ({"messages": [{"role": "system", "content": "x"}]}, "role"),
    ({"messages": [{"role": "assistant", "content": "x"}]}, "first message"),
    ({"messages": [{"role": "user", "content": [{"type": "image", "source": {}}]}]}, "image"),
])
def test_invalid_requests_raise_the_sdks_bad_request_error(local_client, bad, match):
    with pytest.raises(anthropic.BadRequestError, match=match):
        local_client.messages.create(model="claude-sonnet-4-6", max_tokens=5, **bad)


def test_context_overflow_is_a_clear_400(local_client):
    with pytest.raises(anthropic.BadRequestError, match="context"):
        local_client.messages.create(model="claude-sonnet-4-6", max_tokens=9000, messages=ASK)
