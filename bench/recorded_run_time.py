"""Where the recorded runs' time goes: seconds per answer per strategy, and the share of the engine's raw
token rate each strategy achieves (issue 16: the full run must get faster; first see what it spends).

Reads the committed records (bench/compare_all.json from `make record`, bench/compare_sql.json from
`make sql-quality`), then measures the engine's raw prefill and decode rates on this machine (one slot, as
the runs use). For each strategy: answers, total and mean seconds per answer, mean prompt and reply tokens,
the seconds the raw rates predict (prompt tokens / prefill rate + reply tokens / decode rate) and the
achieved share (predicted / measured). A share near 100% means the strategy is bound by the engine's token
rates, so only fewer tokens make it faster; above 100%, the engine's prefix cache skipped re-reading a
repeated prompt; far below, time goes elsewhere (retrieval, grading, starting a server).

Run: .venv/bin/python bench/recorded_run_time.py   (about 30 seconds)
"""

from __future__ import annotations

import json
from pathlib import Path

import anthropic
from local_model_bench import one_slot_rates

from labkit import engine

BENCH = Path(__file__).resolve().parent
RECORDS = {"support, dev + test (make record)": "compare_all.json", "NL->SQL, test split (make sql-quality)":
           "compare_sql.json"}


def raw_rates() -> tuple[float, float]:
    """(prefill, decode) tokens per second of the course engine on one slot (local_model_bench's measure)."""
    served = engine.start(engine.model_path())
    return one_slot_rates(anthropic.Anthropic(api_key="local", base_url=served.url, max_retries=0))


def rows(record: dict, prefill: float, decode: float) -> list[str]:
    out = []
    for name, strategy in record["strategies"].items():
        records = strategy["records"]
        seconds = [r["latency_ms"] / 1000 for r in records]
        tokens_in = sum(r["input_tokens"] for r in records) / len(records)
        tokens_out = sum(r["output_tokens"] for r in records) / len(records)
        mean = sum(seconds) / len(seconds)
        predicted = tokens_in / prefill + tokens_out / decode
        out.append(f"| {name} | {len(records)} | {sum(seconds) / 60:.1f} | {mean:.1f} | {tokens_in:,.0f} | "
                   f"{tokens_out:,.0f} | {predicted:.1f} | {predicted / mean:.0%} |")
    return out


def main() -> None:
    prefill, decode = raw_rates()
    print(f"raw engine rates on this machine, one slot: prefill {prefill:.0f} tokens/s, decode {decode:.1f} tokens/s\n")
    headline = []
    for title, file in RECORDS.items():
        path = BENCH / file
        if not path.exists():
            print(f"{title}: {file} is not recorded yet\n")
            continue
        record = json.loads(path.read_text())
        answered = sum(len(s["records"]) for s in record["strategies"].values())
        print(f"### {title}: {record['wall_seconds'] / 60:.0f} min wall for {answered} answers\n")
        print("| strategy | answers | answer time, min | s/answer | prompt tokens | reply tokens | "
              "s/answer at raw rates | share of raw rate |\n|---|---:|---:|---:|---:|---:|---:|---:|")
        print("\n".join(rows(record, prefill, decode)) + "\n")
        headline.append(f"{title.split(',')[0]} {record['wall_seconds'] / 60:.0f} min for {answered} answers "
                        f"({record['wall_seconds'] / answered:.1f} s each)")
    print(f"HEADLINE: recorded runs: {'; '.join(headline)}; raw rates {prefill:.0f} / {decode:.1f} tok/s")


if __name__ == "__main__":
    main()
