"""Export a peft LoRA adapter as a GGUF LoRA adapter, the form llama.cpp applies at load time.

A LoRA adapter is two small matrices per adapted layer: A (rank x in) and B (out x rank); the layer's
weight W becomes W + (alpha / rank) * B @ A. peft saves them as `...q_proj.lora_A.weight` and
`...lora_B.weight` in safetensors; llama.cpp wants the same matrices under its own tensor names
(`blk.0.attn_q.weight.lora_a`, `.lora_b`), in a GGUF file whose metadata says it is an adapter
(`general.type = adapter`, `adapter.type = lora`, `adapter.lora.alpha`). The `gguf` package (from the
llama.cpp project) holds the Hugging Face -> GGUF name map, so this module only renames and writes.
Used by `labkit.finetune.train_lora` (lesson 03, `make finetune`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

_PEFT_NAME = re.compile(r"base_model\.model\.(?P<layer>.+)\.lora_(?P<ab>[AB])\.weight")


class AdapterExportError(ValueError):
    """The peft adapter folder cannot be exported (missing files, unknown tensor names)."""


def export_gguf(peft_dir: str | Path, out: str | Path, architecture: str = "qwen2", n_layers: int = 24,
                dtype: str = "f16") -> Path:
    """Write the adapter in `peft_dir` (adapter_config.json + adapter_model.safetensors) to the GGUF file
    `out`. architecture and n_layers: the base model's (Qwen2.5-0.5B: "qwen2", 24). dtype: "f16" or "f32"."""
    import gguf
    import numpy as np
    from safetensors.numpy import load_file

    peft_dir, out = Path(peft_dir), Path(out)
    config_file, weights_file = peft_dir / "adapter_config.json", peft_dir / "adapter_model.safetensors"
    for path in (config_file, weights_file):
        if not path.exists():
            raise AdapterExportError(f"{path} is missing: is {peft_dir} a folder written by peft's save_pretrained?")
    config = json.loads(config_file.read_text())
    arch = next((a for a, name in gguf.MODEL_ARCH_NAMES.items() if name == architecture), None)
    if arch is None:
        raise AdapterExportError(f"unknown architecture {architecture!r} for the gguf package")
    names = gguf.get_tensor_name_map(arch, n_layers)
    np_dtype = {"f16": np.float16, "f32": np.float32}[dtype]

    writer = gguf.GGUFWriter(str(out), architecture)
    writer.add_string("general.type", "adapter")
    writer.add_string("adapter.type", "lora")
    writer.add_float32("adapter.lora.alpha", float(config["lora_alpha"]))
    for key, tensor in sorted(load_file(str(weights_file)).items()):
        match = _PEFT_NAME.fullmatch(key)
        target = names.get_name(f"{match['layer']}.weight", try_suffixes=(".weight",)) if match else None
        if match is None or target is None:
            raise AdapterExportError(f"{weights_file}: tensor {key!r} has no llama.cpp name for {architecture}")
        writer.add_tensor(f"{target}.lora_{match['ab'].lower()}", tensor.astype(np_dtype))
    out.parent.mkdir(parents=True, exist_ok=True)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out
