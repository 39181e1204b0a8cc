"""Fine-tuning data preparation: validate, clean, count, estimate, export.

    from labkit import finetune
    report = finetune.validate("tickets_raw.jsonl", format=finetune.support_format)
    print(report)                                   # problems by kind, with line numbers
    result = finetune.clean("tickets_raw.jsonl", format=finetune.support_format)
    finetune.write_jsonl(finetune.to_openai(result.train), "out/train.jsonl")

The modules, in the order the data flows (each short enough to read):
- examples.py  reading JSONL line by line; the Example (messages + line number)
- validate.py  every structural problem, token limit, duplicates, PII and reply format, as one Report
- clean.py     PII scrubbing, exact and near-duplicate removal, a train/validation split without leakage
- pipeline.py  clean(path): all of the above, with every input line accounted for
- tokens.py    token counting: Claude's count_tokens, the local model's tokenizer, or an estimate
- stats.py     token statistics, training cost (dated prices in data/training_prices.csv), local run time
- export.py    OpenAI, Amazon Bedrock (Claude) and Hugging Face TRL formats, and write_jsonl
- model.py     the course model (Qwen2.5-Coder-0.5B) dequantized for PyTorch training
- train.py     train_lora: a small LoRA run on the CPU, saved by peft and exported as a GGUF LoRA
- gguf_lora.py the peft adapter -> GGUF LoRA export that llama.cpp applies (labkit.engine)
- heldout.py   tickets split by scenario, evaluate_format (the before/after measurement)
- knowledge.py the knowledge adapter's question-answer data and its recall test
- runs.py      `make finetune`: the course's adapters, trained and recorded (labkit.adapters)
"""

from labkit.finetune.cleaning import (
    DedupeReport,
    Duplicate,
    PiiReport,
    dedupe,
    find_duplicates,
    find_pii,
    luhn_ok,
    near_groups,
    scrub_pii,
    scrub_text,
    split,
)
from labkit.finetune.examples import DatasetFileError, DatasetNotFound, Example, as_examples, read_lines
from labkit.finetune.export import ExportError, to_bedrock, to_openai, to_trl, write_jsonl
from labkit.finetune.heldout import (
    FormatResult,
    FormatScore,
    cited_doc,
    comparison_table,
    default_split,
    evaluate_format,
    split_by_scenario,
    strict_support_format,
)
from labkit.finetune.pipeline import CleanResult, Dropped, Step, clean
from labkit.finetune.reply_format import support_format
from labkit.finetune.stats import (
    LocalRun,
    TokenStats,
    TrainingPrice,
    billable_tokens,
    describe,
    estimate_local_minutes,
    estimate_training_cost,
    histogram,
    openai_default_epochs,
    timed_run,
    token_counts,
    training_price,
    training_prices,
)
from labkit.finetune.tokens import (
    TokenCounter,
    claude_counter,
    estimate_counter,
    get_counter,
    local_counter,
)
from labkit.finetune.train import TrainResult, train_lora
from labkit.finetune.validation import (
    DEFAULT_MAX_TOKENS,
    ERRORS,
    WARNINGS,
    Problem,
    Report,
    check_example,
    validate,
)

__all__ = [
    "DEFAULT_MAX_TOKENS", "ERRORS", "WARNINGS", "CleanResult", "DatasetFileError", "DatasetNotFound",
    "DedupeReport", "Dropped", "Duplicate", "Example", "ExportError", "LocalRun", "PiiReport", "Problem",
    "Report", "Step", "TokenCounter", "TokenStats", "TrainingPrice", "as_examples", "billable_tokens",
    "check_example", "claude_counter", "clean", "dedupe", "describe", "estimate_counter",
    "estimate_local_minutes", "estimate_training_cost", "find_duplicates", "find_pii", "get_counter",
    "histogram", "local_counter", "luhn_ok", "near_groups", "openai_default_epochs",
    "read_lines", "scrub_pii", "scrub_text", "split", "support_format", "timed_run", "to_bedrock",
    "to_openai", "to_trl", "token_counts", "training_price", "training_prices", "validate", "write_jsonl",
    "FormatResult", "FormatScore", "TrainResult", "cited_doc", "comparison_table", "default_split",
    "evaluate_format", "split_by_scenario", "strict_support_format", "train_lora",
]
