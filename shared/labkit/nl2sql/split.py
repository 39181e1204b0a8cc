"""The NL->SQL pairs split into train / validation / test, reproducibly, with no near-duplicate across splits.

Used by the NL->SQL lesson and lab (issue 18): train is the fine-tuning set and the pool RAG retrieves
examples from, validation is for choices (RAG's k, prompts), test is touched only by recorded runs.

How `make_split` works (and why):
1. **Near-duplicates stay together.** Questions overlap in intent on purpose ("How many users signed up
   this year?" / "... before this year?"). If one were in train and the other in test, the test would
   measure memory. Two questions are near-duplicates when their all-MiniLM-L6-v2 embeddings have cosine
   similarity >= `NEAR_COSINE` or when `labkit.finetune.cleaning.near` says so (same words, or one word
   apart); groups are closed under that relation and go to one split whole.
2. **Stratified by difficulty and by table.** Groups are placed one at a time (larger groups first, then
   in an order shuffled with `seed`) into the split that is furthest below its share of the group's
   difficulty, tables (a pair that joins two tables counts for both) and order-sensitive questions
   (`ordered`), among the splits with room left. Each split then has about its share of easy/medium/hard
   pairs, of every table and of questions that ask for an order.
3. **The seed article's two examples are in train**, because they are the training file's first lines.

The result is committed as `labkit/data/sql/split.json` (`load_split()` reads it, no model needed), and
`tests/test_nl2sql_split.py` checks that `make_split()` still produces exactly that file. Regenerate it
after changing the pairs with `labkit sql split --write`.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from labkit.data import SQL_DIR, DataFileError, SqlPair, load_sql_pairs

SPLITS = ("train", "validation", "test")
FRACTIONS = (0.6, 0.2, 0.2)
NEAR_COSINE = 0.80  # measured: pairs above it restate a question ("this year" / "before this year")
SEED = 0
SPLIT_FILE = SQL_DIR / "split.json"


@dataclass(frozen=True)
class Split:
    """The pairs of each split, in file order."""

    train: list[SqlPair]
    validation: list[SqlPair]
    test: list[SqlPair]

    def __getitem__(self, name: str) -> list[SqlPair]:
        if name not in SPLITS:
            raise KeyError(f"no split {name!r}; choose from {', '.join(SPLITS)}")
        return getattr(self, name)

    def ids(self) -> dict[str, list[str]]:
        return {name: [p.id for p in self[name]] for name in SPLITS}

    def split_of(self, pair_id: str) -> str:
        """The name of the split `pair_id` is in."""
        for name, ids in self.ids().items():
            if pair_id in ids:
                return name
        raise KeyError(f"pair {pair_id!r} is in no split")


def _words(question: str) -> tuple[str, ...]:
    # the normalisation of labkit.finetune.examples.prompt_words, for a bare question
    return tuple(re.sub(r"[^\w\s]", "", question.lower()).split())


def similarities(questions: Sequence[str]):
    """The matrix of cosine similarities between the questions' MiniLM embeddings."""
    from labkit.embed import embed

    vectors = embed(list(questions))
    return vectors @ vectors.T


def near_duplicate_groups(pairs: Sequence[SqlPair], threshold: float = NEAR_COSINE) -> list[list[int]]:
    """Positions of `pairs`, grouped so that near-duplicates (directly or through a chain) share a group."""
    from labkit.finetune.cleaning import near

    sims = similarities([p.question for p in pairs])
    words = [_words(p.question) for p in pairs]
    parent = list(range(len(pairs)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(pairs)):
        for j in range(i + 1, len(pairs)):
            if sims[i, j] >= threshold or near(words[i], words[j]):
                parent[root(j)] = root(i)
    groups: dict[int, list[int]] = {}
    for i in range(len(pairs)):
        groups.setdefault(root(i), []).append(i)
    return list(groups.values())


def _sizes(n: int, fractions: Sequence[float]) -> list[int]:
    """Split sizes summing to n (largest remainder)."""
    raw = [n * f / sum(fractions) for f in fractions]
    sizes = [int(r) for r in raw]
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - sizes[i], reverse=True)[: n - sum(sizes)]:
        sizes[i] += 1
    return sizes


def _strata(pair: SqlPair) -> list[str]:
    ordered = ["ordered"] if pair.ordered else []
    return [f"difficulty:{pair.difficulty}"] + [f"table:{t}" for t in pair.tables] + ordered


def make_split(pairs: Sequence[SqlPair] | None = None, fractions: Sequence[float] = FRACTIONS, seed: int = SEED,
               threshold: float = NEAR_COSINE) -> Split:
    """Split `pairs` (default: all of `load_sql_pairs()`) as the module docstring describes."""
    pairs = list(load_sql_pairs() if pairs is None else pairs)
    if len(fractions) != len(SPLITS) or any(f <= 0 for f in fractions):
        raise ValueError(f"fractions must be {len(SPLITS)} positive numbers (train, validation, test), got {fractions}")
    sizes = _sizes(len(pairs), fractions)
    shares = [f / sum(fractions) for f in fractions]
    totals = Counter(key for p in pairs for key in _strata(p))
    counts: list[Counter[str]] = [Counter() for _ in SPLITS]
    filled = [0] * len(SPLITS)

    groups = near_duplicate_groups(pairs, threshold)
    seeded = [g for g in groups if any(pairs[i].source == "seed" for i in g)]
    others = [g for g in groups if g not in seeded]
    random.Random(seed).shuffle(others)
    others.sort(key=len, reverse=True)  # stable: equal sizes keep the shuffled order
    assigned: dict[int, int] = {}
    for group in seeded + others:
        keys = [key for i in group for key in _strata(pairs[i])]
        if group in seeded:
            choice = 0
        else:
            room = [s for s in range(len(SPLITS)) if filled[s] + len(group) <= sizes[s]]
            room = room or [max(range(len(SPLITS)), key=lambda s: sizes[s] - filled[s])]

            need = {s: (sum(shares[s] * totals[k] - counts[s][k] for k in keys), (sizes[s] - filled[s]) / sizes[s])
                    for s in room}
            choice = max(room, key=need.__getitem__)
        for i in group:
            assigned[i] = choice
        counts[choice].update(keys)
        filled[choice] += len(group)
    by_split = [[p for i, p in enumerate(pairs) if assigned[i] == s] for s in range(len(SPLITS))]
    return Split(*by_split)


def write_split(split: Split, path: Path = SPLIT_FILE) -> Path:
    """Write the split's ids (and how they were made) as JSON."""
    record = {"made_by": "labkit.nl2sql.split.make_split", "fractions": list(FRACTIONS), "seed": SEED,
              "near_cosine": NEAR_COSINE, **split.ids()}
    body = ",\n".join(f" {json.dumps(key)}: {json.dumps(value)}" for key, value in record.items())
    path.write_text("{\n" + body + "\n}\n", encoding="utf-8")  # one line per key: readable diffs
    return path


def load_split(path: Path = SPLIT_FILE, pairs: Sequence[SqlPair] | None = None) -> Split:
    """The committed split: every pair of `pairs` (default: `load_sql_pairs()`) in exactly one split."""
    pairs = list(load_sql_pairs() if pairs is None else pairs)
    try:
        record = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DataFileError(f"{path}: cannot read the split ({exc}); regenerate it with "
                            "`labkit sql split --write`") from exc
    by_id = {p.id: p for p in pairs}
    listed = [i for name in SPLITS for i in record.get(name, [])]
    missing, unknown = sorted(set(by_id) - set(listed)), sorted(set(listed) - set(by_id))
    repeated = sorted(i for i, n in Counter(listed).items() if n > 1)
    if missing or unknown or repeated:
        raise DataFileError(f"{path}: the split does not match sql/pairs.jsonl (not in any split: {missing}, "
                            f"unknown ids: {unknown}, in two splits: {repeated}); regenerate it with "
                            "`labkit sql split --write`")
    order = {p.id: n for n, p in enumerate(pairs)}
    return Split(*[sorted((by_id[i] for i in record[name]), key=lambda p: order[p.id]) for name in SPLITS])


def cross_split_near_duplicates(split: Split, threshold: float = NEAR_COSINE) -> list[tuple[str, str, float]]:
    """(id, id, cosine) of every pair of questions in different splits that are near-duplicates."""
    from labkit.finetune.cleaning import near

    pairs = [p for name in SPLITS for p in split[name]]
    names = [name for name in SPLITS for _ in split[name]]
    sims = similarities([p.question for p in pairs])
    found = []
    for i in range(len(pairs)):
        for j in range(i + 1, len(pairs)):
            if names[i] != names[j] and (sims[i, j] >= threshold
                                         or near(_words(pairs[i].question), _words(pairs[j].question))):
                found.append((pairs[i].id, pairs[j].id, float(sims[i, j])))
    return found
