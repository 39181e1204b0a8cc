"""labkit.claims: products on platforms and names, the claim kinds added for issue 20, and prepared evidence."""

from __future__ import annotations

import pytest

from labkit.claims import Evidence, claims, docs_evidence, kb_evidence, unsupported_claims
from labkit.data import load_docs


@pytest.mark.parametrize("text, products", [
    ("Yes, AcmeCorp offers a Linux desktop app called Acme Workspace.", ["linux app"]),
    ("The desktop app runs on Windows, macOS and Linux.", ["windows app", "macos app", "linux app"]),
    ("You can use the mobile app on iOS and Android.", ["mobile app", "ios app", "android app"]),
    ("The iPhone app lets you edit offline.", ["ios app"]),
    ("There is no Linux desktop app.", []),                          # negated
    ("No Linux app exists; use the API.", []),
    ("Is there a Linux desktop app?", []),                           # a question affirms nothing
    ("The desktop sync app isn't available on Linux, but the app runs on Windows.", ["windows app"]),
    ("On Linux, use the API to upload files.", []),                  # a platform without an app
])
def test_product_claims_are_affirmed_platform_apps(text, products):
    assert [c for c in claims(text) if c.endswith(" app")] == products


@pytest.mark.parametrize("text, names", [
    ("Yes, Acme Workspace integrates with Microsoft Teams and Dropbox.", ["acme workspace", "microsoft teams",
                                                                          "dropbox"]),
    ("Pro is $29 a month.", []),                                  # a sentence's first word is skipped
    ("Go to Settings > Billing > Invoices.", []),                 # menu steps are checked as menu steps
    ("Diagnosis: Login fails.\nSolution: Reset it.\nSource: [troubleshooting-login]", []),
    ("It is HIPAA compliant, I think, with 5 GB.", ["hipaa"]),     # units and "I" are not names
    ("Acme Drive syncs files.", ["drive"]),                       # the price: a name opening a sentence
    ('<document id="plan-pro" title="Pro plan">Pro costs $29.</document>', []),  # markup is not a claim
])
def test_name_claims(text, names):
    kinds = {"@", "/", ">", "$"}
    got = [c for c in claims(text) if not c.endswith(" app") and not (set(c) & kinds) and not c[0].isdigit()]
    assert got == names


def test_the_knowledge_base_supports_its_own_products_and_names():
    kb = kb_evidence()
    assert {"windows app", "macos app", "web app"} <= kb.products and "linux app" not in kb.products
    assert {"acme workspace", "okta", "azure ad", "hipaa"} - kb.names == {"hipaa"}
    faithful = ("No, there is no Linux desktop app. The desktop sync app is available for Windows and macOS; "
                "on Linux, use the API. SCIM works with Okta and Azure AD.")
    assert unsupported_claims(faithful, kb) == []
    invented = "Yes, Acme Workspace is HIPAA compliant and integrates with Microsoft Teams on the iOS app."
    assert unsupported_claims(invented, kb) == ["ios app", "hipaa", "microsoft teams"]


def test_names_made_of_known_names_are_known_and_new_compounds_are_not():
    kb = kb_evidence("updated")
    assert unsupported_claims("It covers the new Pro API limit.", kb) == []  # "Pro" and "API" are both names
    assert unsupported_claims("Files sync through Acme Drive.", kb) == ["acme drive"]


def test_prepared_evidence_equals_plain_text_evidence():
    docs = load_docs()[:5]
    text = "\n".join(f"{d.title}\n{d.text}" for d in docs)
    prepared = docs_evidence(docs).plus("How do I export?")
    answer = "Use the Linux app at $99 per month via Settings > Export, says Jane Doe."
    assert unsupported_claims(answer, prepared) == unsupported_claims(answer, text + "\nHow do I export?")
    assert isinstance(prepared, Evidence) and "how do i export?" in prepared.text
