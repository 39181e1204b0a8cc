"""The NL->SQL split (labkit.nl2sql.split): reproducible, stratified, no near-duplicates across splits."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from labkit.data import DataFileError, load_sql_pairs
from labkit.nl2sql import split as sp

TOLERANCE = 3  # pairs: how far a split's count of a stratum may be from its share


@pytest.fixture(scope="module")
def split() -> sp.Split:
    return sp.load_split()


@pytest.fixture(scope="module")
def pairs():
    return load_sql_pairs()


def test_every_pair_is_in_exactly_one_split(split: sp.Split, pairs) -> None:
    ids = [i for name in sp.SPLITS for i in split.ids()[name]]
    assert sorted(ids) == sorted(p.id for p in pairs)
    assert len(ids) == len(set(ids))
    assert [len(split[name]) for name in sp.SPLITS] == [119, 40, 40]
    order = [p.id for p in pairs]
    for name in sp.SPLITS:  # file order inside each split
        assert split.ids()[name] == sorted(split.ids()[name], key=order.index)


def test_committed_file_is_what_make_split_produces(split: sp.Split) -> None:
    assert sp.make_split().ids() == split.ids()
    record = json.loads(sp.SPLIT_FILE.read_text(encoding="utf-8"))
    assert (record["seed"], record["near_cosine"], record["fractions"]) == (sp.SEED, sp.NEAR_COSINE,
                                                                           list(sp.FRACTIONS))


def test_seed_examples_are_in_train(split: sp.Split, pairs) -> None:
    seed_ids = [p.id for p in pairs if p.source == "seed"]
    assert seed_ids == ["s001", "s002"]
    assert [split.split_of(i) for i in seed_ids] == ["train", "train"]
    assert split.train[:2] == pairs[:2]


def test_strata_follow_the_fractions(split: sp.Split, pairs) -> None:
    def strata(ps):
        return Counter([f"difficulty:{p.difficulty}" for p in ps] + [f"table:{t}" for p in ps for t in p.tables]
                       + ["ordered" for p in ps if p.ordered])

    totals = strata(pairs)
    assert len([k for k in totals if k.startswith("table:")]) == 6
    for name, share in zip(sp.SPLITS, sp.FRACTIONS, strict=True):
        counts = strata(split[name])
        off = {k: counts[k] - share * n for k, n in totals.items() if abs(counts[k] - share * n) > TOLERANCE}
        assert off == {}, (name, off)
        assert counts["ordered"] >= 2, name  # order-sensitive grading is exercised everywhere


def test_no_near_duplicate_question_across_splits(split: sp.Split) -> None:
    assert sp.cross_split_near_duplicates(split) == []
    # the check can fail: two restatements of one question are found when they are put in different splits
    by_id = {p.id: p for name in sp.SPLITS for p in split[name]}
    moved = sp.Split(train=[p for p in split.train if p.id != "s063"], validation=[*split.validation, by_id["s063"]],
                     test=split.test)
    found = sp.cross_split_near_duplicates(moved)
    assert ("s055", "s063") in [(a, b) for a, b, _ in found] or ("s063", "s055") in [(a, b) for a, b, _ in found]


def test_near_duplicate_groups_hold_restated_questions(pairs) -> None:
    groups = sp.near_duplicate_groups(pairs)
    group_of = {pairs[i].id: n for n, g in enumerate(groups) for i in g}
    assert group_of["s055"] == group_of["s063"]   # "signed up this year" / "... before this year"
    assert group_of["s083"] == group_of["s084"]   # "cancelled last month" / "... in each of the last 6 months"
    assert group_of["s003"] != group_of["s016"]
    assert sorted(i for g in groups for i in g) == list(range(len(pairs)))


def test_make_split_checks_fractions(pairs) -> None:
    with pytest.raises(ValueError, match="fractions"):
        sp.make_split(pairs, fractions=(0.8, 0.2))


def test_load_split_names_the_file_and_what_is_wrong(tmp_path: Path, split: sp.Split) -> None:
    broken = tmp_path / "split.json"
    ids = split.ids()
    broken.write_text(json.dumps({**ids, "test": ids["test"][1:] + ["s999"]}), encoding="utf-8")
    with pytest.raises(DataFileError, match=r"split\.json.*s999") as info:
        sp.load_split(broken)
    assert ids["test"][0] in str(info.value) and "labkit sql split --write" in str(info.value)
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(DataFileError, match="cannot read the split"):
        sp.load_split(broken)


def test_unknown_split_name_is_a_clear_error(split: sp.Split) -> None:
    with pytest.raises(KeyError, match="validation"):
        split["dev"]
    with pytest.raises(KeyError, match="s999"):
        split.split_of("s999")
