"""Local model: load time (cold and cached), prompt reading and generation speed, for two runtimes.

- llama.cpp (llama-cpp-python), the course's runtime: "cold" = joining the six package parts into one
  GGUF file in a fresh cache folder, then loading; "cached" = loading the joined file again.
- transformers (for comparison, needs the `train` extra): "cold" = dequantizing the GGUF into PyTorch
  weights and saving them; "cached" = loading the saved weights.

Run: .venv/bin/python bench/local_model_bench.py [--skip-transformers]   (about 3 minutes with both)
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from labkit import local_model

SYSTEM = "You are a customer support agent for AcmeCorp. Refunds: full refund within 14 days, pro-rated after."
QUESTION = "I bought the Pro plan three weeks ago. Can I get a refund? Explain the policy."
LONG = "Documentation:\n" + "AcmeCorp Pro costs $29/month and includes 50 GB of storage. " * 80 + "\nQuestion: price?"
N_NEW = 80


def bench_llama_cpp() -> dict:
    parts = local_model.qwen_part_files()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        path = local_model.join_parts(parts, Path(tmp) / f"{local_model.QWEN_NAME}.gguf")
        model = local_model.LocalModel(path)
        cold = time.perf_counter() - t0
        model._llama.close()
        t0 = time.perf_counter()
        model = local_model.LocalModel(path)
        cached = time.perf_counter() - t0
        model.generate(SYSTEM, [("user", "Hi")], 4)  # warm-up
        t0 = time.perf_counter()
        g = model.generate(None, [("user", LONG)], 1)
        prefill = g.input_tokens / (time.perf_counter() - t0)
        first = None
        for piece in model.stream(SYSTEM, [("user", QUESTION)], N_NEW):
            first = first or time.perf_counter()  # decoding speed counts from the first token on
            g = piece
        decode = (g.output_tokens - 1) / (time.perf_counter() - first)
        model._llama.close()
    return {"runtime": "llama.cpp (course)", "cold_load_s": cold, "cached_load_s": cached,
            "prefill_tok_s": prefill, "generate_tok_s": decode}


def bench_transformers() -> dict:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = local_model.default_model_path()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
        tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        model.hf_quantizer = None
        model.config.__dict__.pop("quantization_config", None)
        model.save_pretrained(tmp)
        tok.save_pretrained(tmp)
        cold = time.perf_counter() - t0
        del model
        t0 = time.perf_counter()
        model = AutoModelForCausalLM.from_pretrained(tmp, dtype=torch.float32).eval()
        cached = time.perf_counter() - t0

        def ids_of(system, user):
            msgs = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": user}]
            out = tok.apply_chat_template(msgs, add_generation_prompt=True, return_tensors="pt")
            return out if isinstance(out, torch.Tensor) else out["input_ids"]

        with torch.inference_mode():
            long_ids = ids_of(None, LONG)
            t0 = time.perf_counter()
            model(long_ids)
            prefill = long_ids.shape[1] / (time.perf_counter() - t0)
            ids = ids_of(SYSTEM, QUESTION)
            t0 = time.perf_counter()
            model(ids)  # the prompt alone, to subtract it from the generation time
            prompt_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            out = model.generate(ids, max_new_tokens=N_NEW, do_sample=False)
            decode = (out.shape[1] - ids.shape[1]) / (time.perf_counter() - t0 - prompt_s)
        shutil.rmtree(tmp, ignore_errors=True)
    return {"runtime": "transformers fp32", "cold_load_s": cold, "cached_load_s": cached,
            "prefill_tok_s": prefill, "generate_tok_s": decode}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-transformers", action="store_true")
    args = parser.parse_args()
    rows = [bench_llama_cpp()]
    if not args.skip_transformers:
        rows.append(bench_transformers())
    cols = ["runtime", "cold_load_s", "cached_load_s", "prefill_tok_s", "generate_tok_s"]
    print(f"Qwen2.5-Coder-0.5B-Instruct Q4_K_M, greedy, {local_model.N_THREADS} threads")
    print("| " + " | ".join(cols) + " |\n|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join(f"{r[c]:.1f}" if isinstance(r[c], float) else r[c] for c in cols) + " |")
    if len(rows) == 2:
        ratio = rows[0]["generate_tok_s"] / rows[1]["generate_tok_s"]
        print(f"generation speed ratio llama.cpp / transformers: {ratio:.1f}x")


if __name__ == "__main__":
    main()
