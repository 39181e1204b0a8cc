"""The NL->SQL fine-tuning file in the seed article's format, and a deliberately corrupted copy of it.

Used by the NL->SQL lesson and lab (issue 18): the lesson writes the train split with `write_training_file`,
checks it with `labkit ft validate FILE --format sql`, and trains the SQL adapter on it; the
"quality matters more than quantity" experiment trains once more on `corrupt(...)`'s copy.

The format is the seed's `training_data.jsonl`: one `{"messages": [system, user, assistant]}` object per
line, the system prompt "You generate SQL from natural language.", the bare question, and the gold SQL as
the reply. No schema in the prompt (the model must learn it from the examples), and no other keys
(`labkit.finetune.validate` rejects keys the chat format does not allow).

`corrupt(pairs, share)` replaces the gold SQL of `round(share * len(pairs))` pairs with a plausible wrong
query, the two mistakes a hurried annotator makes:
- `wrong_join`: a join on the wrong key (`ON o.user_id = u.id` becomes `ON o.id = u.id`);
- `wrong_column`: a column swapped (everywhere in the query) for another of the same type in the same table
  that the query does not use yet (`status` for `product`, `due_at` for `issued_at`).
Every corrupted query is checked on the database: it must run and return different rows from the gold
query (graded as `labkit.sqlcheck` grades answers), so each corruption really teaches a wrong answer. A
pair with a join gets a wrong join if one passes the check; otherwise one of its column swaps, picked at
random. Pairs and swaps are shuffled with `seed`, so the same call corrupts the same lines the same way.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from labkit import sqlcheck
from labkit.data import SqlPair
from labkit.nl2sql.schema import Schema, describe
from labkit.nl2sql.strategies import seed_system_prompt

_ON = re.compile(r"\bON\s+(.+?)(?=\s+(?:WHERE|GROUP|ORDER|LEFT|RIGHT|INNER|FULL|JOIN|LIMIT|HAVING|UNION)\b|\)|;|$)",
                 re.I | re.S)
_KEY = re.compile(r"\b(\w+)\.(\w+_id)\b")


def training_rows(pairs: Sequence[SqlPair]) -> list[dict]:
    """The pairs as chat examples in the seed's format (system prompt, question, gold SQL; nothing else)."""
    return [{"messages": [{"role": "system", "content": seed_system_prompt()},
                          {"role": "user", "content": p.question},
                          {"role": "assistant", "content": p.sql}]} for p in pairs]


def write_training_file(pairs: Sequence[SqlPair], path: str | Path) -> Path:
    """Write `pairs` as chat JSONL at `path` (one example per line, in order) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(row, ensure_ascii=False) for row in training_rows(pairs)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@dataclass(frozen=True)
class Corruption:
    """One corrupted line of the training file."""

    line: int        # 1-based line in the file `write_training_file` writes from the corrupted pairs
    id: str
    kind: str        # "wrong_join" | "wrong_column"
    gold: str
    corrupted: str
    effect: str      # how its result differs from the gold query's (labkit.sqlcheck's reason)


def peer_columns(schema: Schema) -> dict[str, dict[str, list[str]]]:
    """{table: {column: other columns of the same table and type}}, primary keys left out."""
    peers: dict[str, dict[str, list[str]]] = {}
    for table in schema.tables:
        columns = [c for c in table.columns if not c.primary_key]
        peers[table.name] = {c.name: [o.name for o in columns if o.name != c.name and o.type == c.type]
                             for c in columns}
    return peers


def candidates(pair: SqlPair, schema: Schema) -> list[tuple[str, str]]:
    """(kind, corrupted SQL) candidates for `pair`, joins first; each still has to pass `corrupt`'s check."""
    found: list[tuple[str, str]] = []
    for on in _ON.finditer(pair.sql):
        key = _KEY.search(on.group(1))
        if key:
            start = on.start(1) + key.start()
            wrong = pair.sql[:start] + f"{key.group(1)}.id" + pair.sql[on.start(1) + key.end():]
            found.append(("wrong_join", wrong))
    peers = peer_columns(schema)
    for table in pair.tables:
        for column, others in peers.get(table, {}).items():
            if re.search(rf"\b{column}\b", pair.sql):
                # a column the query already uses would give `created_at - created_at`: not a plausible slip
                found += [("wrong_column", re.sub(rf"\b{column}\b", other, pair.sql)) for other in others
                          if not re.search(rf"\b{other}\b", pair.sql)]
    return [(kind, sql) for kind, sql in dict.fromkeys(found) if sql != pair.sql]


def corrupt(pairs: Sequence[SqlPair], share: float, db_path: str | Path | None = None, seed: int = 0,
            schema: Schema | None = None) -> tuple[list[SqlPair], list[Corruption]]:
    """(a copy of `pairs` with `round(share * len(pairs))` gold queries corrupted, what was corrupted, by line).

    See the module docstring. Raises ValueError if `share` is not in [0, 1] or too few pairs can be corrupted.
    """
    if not 0 <= share <= 1:
        raise ValueError(f"share must be between 0 and 1, got {share}")
    if db_path is None:
        from labkit.data import sql_db_path

        db_path = sql_db_path()
    schema = schema or describe(db_path)
    wanted = round(share * len(pairs))
    order = list(range(len(pairs)))
    random.Random(seed).shuffle(order)
    out = list(pairs)
    done: list[Corruption] = []
    for i in order:
        if len(done) == wanted:
            break
        options = candidates(pairs[i], schema)
        joins = [o for o in options if o[0] == "wrong_join"]
        columns = [o for o in options if o[0] != "wrong_join"]
        random.Random(f"{seed}:{pairs[i].id}").shuffle(columns)  # which swap: varied, but fixed by seed
        for kind, sql in joins + columns:
            verdict = sqlcheck.compare(pairs[i].sql, sql, db_path, ordered=pairs[i].ordered)
            if verdict.error is None and not verdict.match:
                out[i] = replace(pairs[i], sql=sql, messages=[*pairs[i].messages[:2],
                                                              {"role": "assistant", "content": sql}])
                done.append(Corruption(i + 1, pairs[i].id, kind, pairs[i].sql, sql, verdict.reason))
                break
    if len(done) < wanted:
        raise ValueError(f"only {len(done)} of the {len(pairs)} pairs can be corrupted, {wanted} were asked for "
                         f"(share {share}); lower the share")
    return out, sorted(done, key=lambda c: c.line)
