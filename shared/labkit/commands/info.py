"""`labkit info`: what this environment will use (backend, local model, adapters, embeddings, cache)."""

from __future__ import annotations

import argparse
import json


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("info", help="show the backend, local model, embedding model and cache folder")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def environment() -> dict:
    """A summary of what the course will use, without loading any model."""
    import os

    from labkit.adapters import COURSE_ADAPTERS
    from labkit.embed import model_path
    from labkit.engine import model_path as local_model_path
    from labkit.llm import backend_name
    from labkit.paths import cache_dir

    return {"backend": backend_name("auto"), "local_model": str(local_model_path()),
            "engine": "llama.cpp server (xllamacpp), " + (f"shared at {os.environ['LABKIT_LLM_URL']}"
                                                         if os.environ.get("LABKIT_LLM_URL") else "in this process"),
            "adapters": ", ".join(f"{a.name}{'' if a.path.exists() else ' (missing)'}" for a in COURSE_ADAPTERS),
            "embedding_model": model_path(), "cache": str(cache_dir())}


def run(args: argparse.Namespace) -> int:
    info = environment()
    print(json.dumps(info, indent=2) if args.json else "\n".join(f"{k:16} {v}" for k, v in info.items()))
    return 0
