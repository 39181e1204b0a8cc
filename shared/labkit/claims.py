"""The deterministic hallucination check: the checkable claims of an answer, and which of them the evidence
does not support.

    from labkit.claims import claims, unsupported_claims, kb_evidence
    unsupported_claims("Yes, there is a Linux desktop app called Acme Workspace.", kb_evidence())  # ['linux app']

Lesson 04 teaches it; `labkit.evaluate.run_eval` applies it to every answer against the *same* evidence for
every strategy (the knowledge base the question is about), so the strategies' rates can be compared.

A *claim* is a piece of an answer that can be checked by string matching, after `labkit.facts.normalize`:
  - a number, with a leading "$" or a trailing "%" or size unit kept ("$35", "99.9%", "50gb", "1000",
    "2026-12-01"); list markers at the start of a line ("1." and "2)") are not claims;
  - a menu step "a > b": the word before and the word after each ">" ("settings > export");
  - an e-mail address, or a URL / host name with a path ("api.acmecorp.example/v2");
  - a product on a platform: an affirmative clause that puts an app word (app, application, client,
    extension, plugin) beside a platform (Linux, Windows, macOS, iOS, Android, mobile, web, Chromebook):
    "there is a Linux desktop app" claims "linux app"; "there is no Linux app" claims nothing. Clauses are
    split at . ! ? ; : , and at "but", "however", "while"; a clause with a negation (no, not, n't, never,
    without, cannot, unavailable) or ending in "?" affirms nothing;
  - a name: a run of capitalised words ("Microsoft Teams", "HIPAA") that is not the first word of a sentence
    or line, not next to a menu arrow, and not a unit or "I" ("Pro is..." and "Go to Settings > Data" give no
    name). A sentence's first word is skipped because English capitalises it anyway: the price is that an
    invented name that opens a sentence is missed unless a second capitalised word follows it.
A claim is *supported* when it also occurs in the evidence: numbers as whole numbers ("$9" is not in
"$90"), names as whole words, a product when an affirmative clause of the evidence claims it too, the others
as substrings. An answer with an unsupported claim hallucinates. The check is strict and blind to wording
("two weeks" is no claim at all, "refunds for any reason" neither): read the claims it lists, and see
`labkit.calibration` for how often it agrees with a person's labels.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from labkit.documents import Document
from labkit.facts import fact_pattern, normalize

_NUMBER = re.compile(r"(?<![\w.$/-])\$?\d+(?:[.:-]\d+)*(?:%|gb|mb|tb|kb)?(?![\w/])")
_LIST_MARKER = re.compile(r"^\s*\d+[.)]\s", re.M)
_MENU_STEP = re.compile(r"([a-z0-9]+) > (?=([a-z0-9]+))")  # overlapping: "a > b > c" has two steps
_EMAIL = re.compile(r"[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+")
_URL = re.compile(r"(?:https?://)?((?:[a-z0-9-]+\.)+[a-z]{2,}/[^\s)\]]*[a-z0-9/])")  # claim: without scheme

# products on platforms
_PLATFORMS = {"linux": "linux", "windows": "windows", "macos": "macos", "mac": "macos", "ios": "ios",
              "iphone": "ios", "ipad": "ios", "android": "android", "mobile": "mobile", "web": "web",
              "chromebook": "chromebook", "chromeos": "chromebook"}
_PLATFORM = "|".join(sorted(_PLATFORMS, key=len, reverse=True))
_PLATFORM_LIST = re.compile(rf"\b(?:{_PLATFORM})\b(?:(?:\s*,\s*|\s+(?:and|or)\s+|\s*/\s*)(?:{_PLATFORM})\b)+")
_APP = re.compile(r"\b(?:apps?|applications?|clients?|extensions?|plugins?|plug-ins?)\b")
_CLAUSE = re.compile(r"(?<!\d)[.!?;:,](?!\d)|\.(?=\s|$)|\n|\bbut\b|\bhowever\b|\bwhile\b|\bwhereas\b")
_NEGATION = re.compile(r"\b(?:no|not|never|without|cannot|unavailable|neither|nor)\b|n't\b")

# names
_NAME_RUN = re.compile(r"(?<![\w@./-])[A-Z][\w&+'-]*(?: [A-Z][\w&+'-]*)*")
_NOT_NAMES = {"i", "i'm", "i'll", "i've", "i'd", "ok", "gb", "mb", "tb", "kb", "usd", "am", "pm"}
_ARROW = ("> ", "→", "-> ", "»")


def _clean(text: str) -> str:
    return re.sub(r"[*`]", "", unicodedata.normalize("NFKC", html.unescape(text)))


def _product_claims(norm: str) -> list[str]:
    """The affirmed "<platform> app" claims of normalised text (see the module docstring)."""
    found = []
    # a platform list ("windows, macos and linux") is one unit, so a comma inside it does not end the clause
    joined = _PLATFORM_LIST.sub(lambda m: "+".join(re.findall(rf"\b(?:{_PLATFORM})\b", m.group(0))), norm)
    pieces = _CLAUSE.split(joined)
    ends = [m.group(0) for m in _CLAUSE.finditer(joined)] + [""]
    for clause, end in zip(pieces, ends):
        if end == "?" or not _APP.search(clause) or _NEGATION.search(clause):
            continue
        for platform in re.findall(rf"(?<![\w-])(?:{_PLATFORM})(?![\w-])", clause):
            found.append(f"{_PLATFORMS[platform]} app")
    return found


def _at_sentence_start(text: str, index: int) -> bool:
    before = text[:index].rstrip(" \t\"'([")
    return (not before or before[-1] in ".!?:;\n"
            or bool(re.search(r"(?:^|\n)[ \t]*(?:\d+[.)]|[-•#]+)$", before)))


def _name_claims(text: str, first_words: bool = False) -> list[str]:
    """The capitalised names of `text` (see the module docstring), normalised. first_words: keep a
    sentence's first word too (for the names the evidence knows)."""
    clean = _clean(text)
    found = []
    for m in _NAME_RUN.finditer(clean):
        words = m.group(0).split(" ")
        after, before = clean[m.end():].lstrip(" "), clean[:m.start()].rstrip(" ")
        if after.startswith(_ARROW) or before.endswith((">", "→", "»")):
            continue  # a menu step, checked as one
        if not first_words and _at_sentence_start(clean, m.start()):
            words = words[1:]
        name = re.sub(r"'s$", "", normalize(" ".join(words))).strip("'-")  # "AcmeCorp's" names AcmeCorp
        if name and name not in _NOT_NAMES:
            found.append(name)
    return found


def _known_name(name: str, evidence: Evidence) -> bool:
    """A name is known when the evidence has it as a whole, or it splits into names the evidence has
    ("Pro API" from "Pro" and "API"; "Acme Drive" is not known from "Acme Workspace" and "Google Drive")."""
    if re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", evidence.text):
        return True
    words = name.split(" ")
    known = [True] + [False] * len(words)  # known[i]: the first i words split into evidence names
    for end in range(1, len(words) + 1):
        known[end] = any(known[start] and " ".join(words[start:end]) in evidence.names for start in range(end))
    return len(words) > 1 and known[-1]


_TAG = re.compile(r"</?[A-Za-z][^<>]*>")  # <document id="..."> in an answer that repeats its prompt


def literal_claims(text: str) -> list[str]:
    """The claims of `text` that are literals: e-mails, URLs, menu steps and numbers, normalised, each once.
    The knowledge adapter's key facts (tools/build_kb_qa.py) are these: a recalled answer must contain them."""
    text = _TAG.sub(" ", html.unescape(text))
    norm = normalize(_LIST_MARKER.sub(" ", unicodedata.normalize("NFKC", text)))
    found = [m.group(0).rstrip(".") for m in _EMAIL.finditer(norm)]
    found += [m.group(1) for m in _URL.finditer(norm)]
    rest = _URL.sub(" ", _EMAIL.sub(" ", norm))
    found += [f"{a} > {b}" for a, b in _MENU_STEP.findall(rest)]
    found += [n.rstrip(".") for n in _NUMBER.findall(rest)]
    return list(dict.fromkeys(found))


def claims(text: str) -> list[str]:
    """The checkable claims of `text` (see the module docstring), normalised, each once, in order of kind:
    e-mails, URLs, menu steps, numbers, products, names. Markup tags are not claims (their ">" is no menu)."""
    text = _TAG.sub(" ", html.unescape(text))
    rest = _URL.sub(" ", _EMAIL.sub(" ", normalize(_LIST_MARKER.sub(" ", unicodedata.normalize("NFKC", text)))))
    found = literal_claims(text) + _product_claims(rest)
    found += _name_claims(_URL.sub(" ", _EMAIL.sub(" ", _clean(text))))
    return list(dict.fromkeys(found))


@dataclass(frozen=True)
class Evidence:
    """Evidence prepared once for many answers: its normalised text and the products it affirms."""

    text: str
    products: frozenset[str]
    names: frozenset[str]  # the capitalised names it uses

    @staticmethod
    def of(*texts: str) -> Evidence:
        raw = _TAG.sub(" ", html.unescape("\n".join(texts)))
        norm = normalize(raw)
        return Evidence(norm, frozenset(_product_claims(norm)), frozenset(_name_claims(raw, first_words=True)))

    def plus(self, *texts: str) -> Evidence:
        """This evidence and `texts` (e.g. the question), without normalising the large part again."""
        more = Evidence.of(*texts)
        return Evidence(f"{self.text}\n{more.text}", self.products | more.products, self.names | more.names)


def _supported(claim: str, evidence: Evidence) -> bool:
    if claim[:1].isdigit() or claim[:1] == "$":
        return bool(fact_pattern(claim).search(evidence.text))
    if claim.endswith(" app") and claim[:-4] in _PLATFORMS.values():
        return claim in evidence.products
    if "@" in claim or "/" in claim or " > " in claim:
        return claim in evidence.text
    return _known_name(claim, evidence)


def unsupported_claims(answer: str, evidence: str | Evidence) -> list[str]:
    """The claims of `answer` that `evidence` does not support (both normalised): what it invented."""
    prepared = evidence if isinstance(evidence, Evidence) else Evidence.of(evidence)
    return [c for c in claims(answer) if not _supported(c, prepared)]


def docs_evidence(docs: Iterable[Document]) -> Evidence:
    """Evidence from knowledge-base documents: every title and text."""
    return Evidence.of(*(f"{d.title}\n{d.text}" for d in docs))


@cache
def kb_evidence(version: str = "current") -> Evidence:
    """The course knowledge base as evidence (`labkit.data.load_docs(version)`), prepared once per process."""
    from labkit.data import load_docs

    return docs_evidence(load_docs(version))


def as_evidence(kb: Sequence[Document] | str | Evidence | None, version: str = "current") -> Evidence:
    """Evidence from documents, a text, prepared Evidence, or None (the course knowledge base of `version`)."""
    if kb is None:
        return kb_evidence(version)
    if isinstance(kb, Evidence):
        return kb
    if isinstance(kb, str):
        return Evidence.of(kb)
    return docs_evidence(kb)
