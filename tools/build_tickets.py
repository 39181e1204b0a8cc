#!/usr/bin/env python3
"""Build the Strategy Lab support-ticket data sets (module 3: fine-tuning).

Writes, into --out (default: shared/labkit/data/tickets/, beside the knowledge base):

* tickets.jsonl              clean chat examples {"messages": [system, user, assistant]}
* tickets_raw.jsonl          a subset of the clean examples with injected defects (data-cleaning exercise)
* tickets_raw.defects.json   manifest of the defects: {"counts": {...}, "lines": [{"line", "defect", "of"?}]}

Everything is generated from the hand-written scenarios and customer phrasings below with
random.Random(20261124), so running the script again rewrites the files byte-identically.
Standard library only. Facts follow the AcmeCorp world bible (the knowledge base in shared/labkit/data/kb/).
All PII in the raw file is synthetic: example.com/.org/.net e-mail addresses, 555 / Ofcom drama
phone numbers and well-known test card numbers.
"""

from __future__ import annotations

import argparse
import copy
import difflib
import itertools
import json
import random
import re
import string
import sys
from pathlib import Path

SEED = 20261124
RAW_BASE = 260          # clean examples taken into the raw file before duplicates are added
MAX_REPLY_WORDS = 120
OVERLONG_WORDS = 4000

SYSTEM = (
    "You are a technical support specialist for AcmeCorp.\n"
    "Format responses as:\n"
    "1. Diagnosis (one sentence)\n"
    "2. Solution (step-by-step)\n"
    "3. Prevention (one tip)\n"
    "Always cite the documentation section you referenced."
)

# The knowledge base's document ids: its file names (each file's front matter says the same id).
KB_DIR = Path(__file__).resolve().parents[1] / "shared" / "labkit" / "data" / "kb"
DOC_IDS = tuple(sorted(p.stem for p in KB_DIR.glob("*.md")))

# Defect types of the raw file, in manifest order, with their exact counts.
DEFECT_COUNTS = {
    "exact_duplicate": 12,
    "near_duplicate": 10,
    "pii_email": 8,
    "pii_phone": 6,
    "pii_card": 5,
    "malformed_json": 6,
    "wrong_role": 5,
    "missing_role": 4,
    "empty_content": 5,
    "overlong": 3,
    "wrong_format": 10,
}
DUPLICATE_TYPES = ("exact_duplicate", "near_duplicate")

FIRST_NAMES = [
    "Priya", "Tomasz", "Aiyana", "Kwame", "Lucía", "Hannah", "Mateo", "Yuki", "Oluwaseun", "Sven",
    "Fatima", "Diego", "Ingrid", "Rahul", "Mei", "Jonas", "Amara", "Callum", "Noor", "Élodie",
    "Bogdan", "Chiara", "Dmitri", "Esra", "Felix", "Grace", "Hiroshi", "Isabel", "Jamal", "Katarzyna",
    "Leon", "Marisol", "Nikhil", "Olga", "Pablo", "Quentin", "Rosa", "Samir", "Tamsin", "Ugo",
    "Valentina", "Wei", "Ximena", "Yusuf", "Zanele", "Anders", "Bea", "Chidi", "Dana", "Emeka",
    "Freya", "Gustavo", "Hana", "Ivan", "Joon", "Kai", "Lena", "Malik", "Nadia", "Omar", "Pia",
]
COMPANIES = [
    "Brightline Studio", "Northwind Architects", "Pellucid Labs", "Harbor & Finch", "Kestrel Robotics",
    "Tidewater Films", "Copperleaf Consulting", "Bluefjord Games", "Marigold Bakery Co.",
    "Quartzline Analytics", "Redwood Legal", "Saffron Design", "Tern Logistics", "Umber & Co",
    "Vireo Health Research", "Willow Street Press", "Yellowfin Events", "Zephyr Audio",
    "Alder Engineering", "Basalt Data", "Cobalt Kite Media", "Driftwood Architecture", "Ember Foods",
    "Fable & Fern", "Granite Peak Outdoors", "Hollow Oak Studios", "Ironbark Security",
    "Juniper Learning", "Kinfolk Collective", "Lodestar Surveying", "Meridian Tours", "Nimbus Weather",
    "Orchid Translation", "Pinecone Apps", "Quill & Ink Agency", "Ravel Music", "Sable Systems",
    "Thistle Print",
]


def S(key, doc, heading, diag, steps, prev, tickets, slots=None):
    """One problem scenario: a reply template and several hand-written customer phrasings.

    Slot values are drawn per ticket; "a|b" keys draw tuples. Slots whose name starts with "_"
    are derived facts (e.g. a price for a plan) and may appear in the reply without being in
    the ticket; every other slot used in the reply must appear in every phrasing.
    """
    return {"key": key, "doc": doc, "heading": heading, "diag": diag, "steps": steps,
            "prev": prev, "tickets": tickets, "slots": slots or {}}


SCENARIOS = []

# --------------------------------------------------------------------------------------- billing
SCENARIOS += [
    S("annual_billing", "billing-cycles", "Annual billing",
      "Annual billing charges you for 10 months and gives you 12, which is about 17% less than paying monthly.",
      ["Go to Settings > Billing > Change plan and choose annual billing.",
       "For {plan} that is {_annual} per year instead of {_twelve} for twelve monthly payments of {_monthly}."],
      "Note your annual renewal date, because a full refund is only possible within 14 days of a charge.",
      ["Hi, we're on {plan} and pay {_monthly} a month. Is there any saving if we pay yearly instead?\n\nThanks, {first}",
       "Our finance team at {company} would rather make one payment a year. What does the {plan} plan cost annually, and how do I switch over?",
       "quick q - {plan} plan, billed monthly ({_monthly}). is annual cheaper or the same price?",
       "Hello! I've been paying {_monthly}/month for {plan} since spring, and a friend told me annual billing is basically two months free. True? Where would I change it?",
       "We're drafting next year's software budget. Please confirm the yearly price for one {plan} workspace and whether it's discounted compared with paying month by month.",
       "Is there an annual option for {plan}? Twelve separate charges on the company card is a pain for our bookkeeping. — {first}, {company}"],
      {"plan|_monthly|_annual|_twelve": [("Basic", "$9", "$90", "$108"), ("Pro", "$29", "$290", "$348")]}),

    S("upgrade_prorated", "upgrades", "What you pay",
      "Upgrades take effect immediately, so the {amount} charge is the pro-rated difference for the rest of your current billing cycle.",
      ["Open Settings > Billing > Invoices and download the PDF for the {amount} charge.",
       "It covers only the part of the cycle left after you upgraded, not a full month.",
       "From your next renewal you pay the normal Pro price of $29/month, so nothing is charged twice."],
      "Expect a pro-rated charge on the day of any future upgrade, since upgrades apply right away.",
      ["I upgraded from Basic to Pro this morning and got charged {amount}, not $29. Is this a mistake?",
       "Why was I billed {amount} today?? I just clicked upgrade to Pro on our monthly plan. I expected either nothing until renewal or the full price.",
       "Hi team, a strange amount ({amount}) appeared on our card after we moved {company}'s workspace from Basic to Pro yesterday. Can you explain how it's calculated?",
       "Charge of {amount} after upgrading Basic -> Pro mid-month. Will I be charged $29 again at the start of next cycle, i.e. double?",
       "Upgraded to Pro (monthly) on the 17th. Bank shows {amount} from AcmeCorp. What is this for? — {first}",
       "Our accountant is asking about a {amount} AcmeCorp payment that doesn't match any plan price. It happened right when I upgraded us from Basic to Pro. Can you break it down?"],
      {"amount": ["$11.60", "$14.50", "$6.77", "$19.33", "$8.90", "$22.04", "$3.87"]}),

    S("upgrade_project_limit", "plan-basic", "Limits to know about",
      "The Basic plan includes 10 projects, and your workspace has reached that limit.",
      ["Delete a project you no longer need if you want to stay on Basic.",
       "Or upgrade to Pro ($29/month) in Settings > Billing > Change plan; Pro has unlimited projects.",
       "Upgrades take effect immediately; you pay a pro-rated difference for the rest of the cycle."],
      "Check your project count before taking on new work, since Basic stops at 10 projects.",
      ["I can't create a new project, it says we've hit the limit. We're on Basic with 10 projects. What are my options?",
       "Project #11 won't save — 'limit reached'. Basic plan. Do I really have to pay more just to make one more project??",
       "Hi, {first} from {company}. We use the Basic plan and want to start another client project but the New Project button is greyed out. If we upgrade, does it unlock right away or next month?",
       "Basic plan. Max projects reached. Upgrade = instant or end of cycle?",
       "Our small studio on Basic keeps one project per client and we just signed our eleventh client. Acme won't let me add the project. Is there a way around the cap?",
       "Hello, what is the maximum number of projects on Basic? I seem to be stuck at ten and I'd like to know whether Pro removes the limit."]),

    S("failed_payment_retry", "billing-failed-payments", "How to fix a failed payment",
      "Your renewal payment was declined, and AcmeCorp retries a failed payment 3 times over 7 days.",
      ["Go to Settings > Billing > Payment method and add a working card or PayPal.",
       "Accepted methods are Visa, Mastercard, American Express and PayPal.",
       "Make sure a retry succeeds; if all 3 fail, the workspace enters a 14-day read-only grace period."],
      "Update your card in Settings > Billing > Payment method before it expires so renewals are not declined.",
      ["Got an email saying my payment failed. My card expired last month, I think. What happens now?",
       "Hello, our {card} was declined for the AcmeCorp renewal because the bank flagged it as fraud. Will the workspace be shut down straight away?",
       "Payment failed notification this morning. We haven't changed anything. Is something wrong on your end? — {first}",
       "Your system says the charge for {company} didn't go through. I've since sorted it with my bank. Do I need to do anything or will you try again?",
       "hi my renewal failed bc there was no money on the card that day, can you try charging it again?? dont want to lose access",
       "We got a 'payment unsuccessful' warning for our Pro subscription. How many times do you retry before something happens to the workspace, and how do I put a new card on the account?"],
      {"card": ["Visa", "Mastercard", "American Express card", "company Visa", "corporate Mastercard", "Amex"]}),

    S("grace_read_only", "billing-failed-payments", "Timeline after a failed payment",
      "After 3 failed payment retries over 7 days, the workspace is in a 14-day grace period in read-only mode.",
      ["Update the payment method in Settings > Billing > Payment method.",
       "Pay the outstanding amount so the workspace can return to normal.",
       "Do this within the 14-day grace period, otherwise the workspace is suspended.",
       "Even after a suspension, data is kept for 90 days."],
      "Keep the card on file up to date, since a declined renewal starts the retry and grace-period clock.",
      ["Suddenly none of us can edit anything — everything is read-only. There was a payment issue last week. Are these connected?",
       "Why is our workspace in read-only mode?? My team can view files but can't upload. We have deadlines!",
       "Hi support, {first} here. After a few failed charges our workspace turned read-only. How long do we have before you delete things?",
       "Our card got declined several times over the past week (it was cancelled after a fraud alert). Now there's a grace-period banner. What exactly are the rules?",
       "read only mode since yesterday, banner says payment problem. how do i fix and how fast",
       "Dear AcmeCorp, our accounts team missed the card expiry and the workspace for {company} now shows as read-only. Please advise the quickest way to restore editing."]),

    S("suspended", "billing-failed-payments", "Timeline after a failed payment",
      "The workspace was suspended because payment was not made before the 14-day grace period ended.",
      ["Your data is kept for 90 days after suspension, so it is not lost yet.",
       "Update the payment method in Settings > Billing > Payment method.",
       "Pay the outstanding amount to reactivate the workspace before the 90 days end."],
      "Act on failed-payment emails during the 7-day retry window to avoid a suspension.",
      ["Our workspace says 'suspended'. We ignored the billing emails during a busy month (my bad). Is our data gone?",
       "I came back from parental leave and our AcmeCorp workspace is suspended. Can I still get everything back?",
       "SUSPENDED?! We have five years of project files in there. What do I need to do right now?",
       "Hello, {first} from {company}. The workspace was suspended after a payment problem. How long do you keep the files before they're removed?",
       "Hi, the card on our account was closed and we missed the grace period. Workspace suspended. Steps to reactivate please.",
       "Quick one: once a workspace is suspended for non-payment, how many days until deletion? Need to tell my boss."]),

    S("payment_crypto_cheque", "billing-payment-methods", "Accepted payment methods",
      "AcmeCorp accepts Visa, Mastercard, American Express and PayPal, and does not accept crypto or cheques.",
      ["Add a Visa, Mastercard or American Express card, or connect PayPal, in Settings > Billing > Payment method.",
       "If you have no card, PayPal is the alternative.",
       "Bank transfer and invoice (net 30) are only available for Enterprise or annual plans over $1,000."],
      "Keep a supported payment method on file so renewals are not interrupted.",
      ["Can I pay for Pro in Bitcoin? We keep most of our funds in crypto.",
       "Our charity pays everything by cheque. Where do I post it?",
       "Do you take USDT or ETH? — {first}",
       "Hi! I don't have a credit card. What other ways can I pay for a Basic workspace?",
       "Our accounting department at {company} can only issue cheques. Is that acceptable for a monthly Pro subscription?",
       "payment options?? want to use my crypto wallet, the card keeps getting declined anyway"]),

    S("bank_transfer", "billing-payment-methods", "Paying by bank transfer or invoice",
      "Bank transfer and invoice (net 30) are only offered for Enterprise or for annual plans over $1,000, which a single Pro workspace does not reach.",
      ["Pay by Visa, Mastercard, American Express or PayPal in Settings > Billing > Payment method.",
       "If your company requires net-30 invoicing, ask sales@acmecorp.example about Enterprise."],
      "Agree payment terms with procurement before renewal so the workspace is never left unpaid.",
      ["Can we pay our Pro subscription by bank transfer instead of card? Our procurement rules prefer it.",
       "We need invoices with net 30 payment terms. Is that possible on the Pro monthly plan?",
       "Hi, {company} here. Our finance system can only do wire transfers. We're on Pro annual ($290). How do we set that up?",
       "Do you support invoicing for Pro? I'd like AcmeCorp to send a bill and we pay within 30 days.",
       "bank transfer possible for pro plan? card payments are blocked by our company policy",
       "Hello, {first} speaking. Our auditor wants all SaaS on purchase order + invoice. We're a single Pro workspace. What are our options?"]),

    S("vat_id", "billing-invoices", "Tax (VAT and GST)",
      "VAT is added based on your billing country ({country}) until a VAT ID is saved on the account.",
      ["Go to Settings > Billing > Tax details and add your VAT ID.",
       "Future invoices are then reverse-charged as an EU business.",
       "Invoices cannot be edited after issue, but you can request a corrected invoice within 60 days."],
      "Add the VAT ID before the first charge so every invoice is issued correctly.",
      ["We're a registered company in {country} and our AcmeCorp invoice includes VAT. Shouldn't this be reverse-charged?",
       "Hi, accountant for {company} ({country}) here. Where do we enter our VAT number so invoices stop charging VAT?",
       "vat added to our invoice even though we're a business in {country}. how to fix + can last month's invoice be corrected?",
       "Hello, we just moved from a freelancer account to a limited company in {country} and I see VAT on every invoice. Our tax adviser says B2B should be reverse charge. Help?",
       "Our finance team in {country} rejected the AcmeCorp invoice because VAT was charged and our VAT ID isn't on it. What do we do?",
       "Where do I put a VAT ID? Business customer in {country}. — {first}"],
      {"country": ["Germany", "France", "the Netherlands", "Spain", "Ireland", "Poland", "Italy", "Belgium"]}),

    S("invoice_correction", "billing-invoices", "Correcting an invoice",
      "Invoices cannot be edited after they are issued, but a corrected invoice can be requested within 60 days, and yours is {days} days old.",
      ["Email support@acmecorp.example with the invoice number and the correct details.",
       "Ask for the corrected invoice before the 60-day window closes.",
       "Keep the original PDF from Settings > Billing > Invoices until the corrected one arrives."],
      "Check the name and address on each invoice as soon as it is issued.",
      ["The invoice from {days} days ago has our old company name on it. Can you edit it?",
       "Hi! Our invoice (issued {days} days ago) shows the wrong billing address. Our auditors need it fixed.",
       "Need a corrected invoice pls — typo in the company name, invoice date was {days} days ago.",
       "We rebranded from {company} to a new name. Can you change the name on the invoice you sent {days} days ago?",
       "I tried to change the address on an existing invoice in Settings > Billing > Invoices but the PDF doesn't change. It's {days} days old. — {first}",
       "Hello, our purchase order number is missing from an invoice issued {days} days ago. Can it be added?"],
      {"days": ["4", "9", "12", "18", "23", "31", "40", "47", "52"]}),

    S("refund_within_14", "refunds-policy", "Refunds within 14 days",
      "Your charge was {days} days ago, which is inside the 14-day window for a full refund.",
      ["Email support@acmecorp.example and ask for a refund of that charge.",
       "Cancel in Settings > Billing > Cancel subscription so it does not renew again.",
       "The refund goes back to your original payment method within 5-10 business days."],
      "Set a reminder a few days before each renewal if you might cancel.",
      ["I was charged for a renewal {days} days ago but we stopped using AcmeCorp. Can I get my money back?",
       "Hi, signed up for Pro {days} days ago and it isn't right for us. Refund possible?",
       "Our annual plan renewed automatically {days} days ago — nobody remembered to cancel. Any chance of a refund?",
       "refund please, charged {days} days ago by mistake, we moved to another tool",
       "Hello, {company} accounts here. We were billed {days} days ago for a workspace we no longer need. What's your refund policy and how long does it take?",
       "Bought Basic {days} days ago for a side project that got cancelled. Can I get the $9 back? — {first}"],
      {"days": ["2", "3", "5", "6", "8", "9", "11", "13"]}),

    S("refund_annual_after_14", "refunds-policy", "Refunds after 14 days",
      "After 14 days an annual plan is refunded pro-rated for its unused whole months, which is {_unused} months for you.",
      ["Cancel in Settings > Billing > Cancel subscription.",
       "Email support@acmecorp.example to request the pro-rated refund for the {_unused} unused whole months.",
       "The refund goes to your original payment method within 5-10 business days."],
      "Review each annual renewal within 14 days, while a full refund is still possible.",
      ["We're in month {m} of our annual Pro plan and the project ended. Can we get a refund for the rest of the year?",
       "Hi, annual Basic subscriber here. It's month {m} of 12 and we're shutting the company down. Do we get anything back?",
       "annual plan, currently month {m}. want to cancel. refund for unused months??",
       "Our team is consolidating tools. We paid annually and are now in month {m}. What would the refund look like, roughly?",
       "Hello, I know it's past the 14 days (we're in month {m} of our yearly Pro plan), but is a partial refund possible? — {first}, {company}",
       "If I cancel my yearly plan now, in month {m}, do I lose the remaining months or are they refunded?"],
      {"m|_unused": [("3", "9"), ("4", "8"), ("5", "7"), ("6", "6"), ("7", "5"), ("8", "4"), ("9", "3")]}),

    S("refund_monthly_after_14", "refunds-policy", "Refunds after 14 days",
      "Monthly plans are not refunded for the current month once 14 days have passed, and your charge was {days} days ago.",
      ["Cancel in Settings > Billing > Cancel subscription to stop the next renewal.",
       "You keep access until the end of the month you paid for.",
       "Export your data from Settings > Export > Download All before the workspace turns read-only."],
      "Cancel within 14 days of a charge if you want a full refund of that charge.",
      ["I was charged for this month {days} days ago but I want to leave. Refund for the rest of the month?",
       "Monthly Pro, last charge {days} days ago. We're switching tools today — can we get a partial refund?",
       "can i get refund for current month? paid {days} days ago, not using it anymore",
       "Hi support, {first} here. Monthly billing, renewed {days} days ago. I read something about 14 days — does that mean no refund at all?",
       "We closed our office and won't need the Basic workspace. The monthly charge went through {days} days ago. What happens if I cancel now?",
       "Please refund the unused part of this month. The charge was {days} days ago. {company} no longer needs Acme."],
      {"days": ["15", "17", "19", "21", "24", "26", "28"]}),

    S("refund_addon", "refunds-policy", "Add-ons",
      "Extra storage add-ons follow the same refund rules as plans, so a purchase made {days} days ago qualifies for a full refund.",
      ["Email support@acmecorp.example and ask for a refund of the add-on charge.",
       "Make sure your files fit in the plan's included storage first, because uploads are blocked when storage is full.",
       "The refund goes to your original payment method within 5-10 business days."],
      "Check storage use before buying more; each add-on is $5/month per extra 50 GB.",
      ["I accidentally bought the extra 50 GB storage add-on {days} days ago. Can I get that refunded?",
       "Hi, we added extra storage {days} days ago but cleaned up our files and don't need it now. Refund?",
       "Storage add-on charge ({days} days ago) — wrong workspace, I meant to add it to our other team's account. Can you reverse it? — {first}",
       "is the storage add-on refundable? bought it {days} days ago",
       "Our intern added extra storage to {company}'s workspace {days} days ago without approval. Can we undo the charge?",
       "Hello, do add-ons follow the same refund rules as plans? I purchased 50 GB of extra storage {days} days ago."],
      {"days": ["1", "2", "4", "6", "7", "10", "12"]}),

    S("pro_price_change", "plan-pro", "Price history",
      "The Pro price rose from $25 to $29/month for new customers on 2026-03-01, and existing customers moved to $29 on 2026-06-01.",
      ["Check your latest invoice in Settings > Billing > Invoices; it shows the $29 Pro price.",
       "To lower the cost, annual Pro is $290/year, about 17% less than paying monthly."],
      "Follow the changelog so price changes do not surprise you on an invoice.",
      ["My Pro bill went up from $25 to $29 in June. I didn't get any notice?? Why?",
       "Hi, we've been customers since 2024 at $25/month for Pro. Our latest invoice says $29. Is that a mistake?",
       "A new colleague signed up in April and paid $29 for Pro, while I was still paying $25 then. Is pricing different per customer?",
       "price increase? pro was 25 now 29",
       "Hello, {first} from {company}. When did the Pro price change and does it affect existing customers?",
       "Our budget line says $25/month for Acme Pro but the card was charged $29 this month. Please explain."]),
]

# --------------------------------------------------------------------------------------- account
SCENARIOS += [
    S("downgrade_timing", "downgrades", "When a downgrade takes effect",
      "Downgrades take effect at the end of the current billing cycle, so the workspace stays on Pro until then.",
      ["Keep using Pro until the current billing cycle ends.",
       "At the next renewal the workspace moves to Basic at $9/month.",
       "If you have more than 10 projects then, the extra ones become read-only (archived); nothing is deleted."],
      "Reduce your projects to 10 or fewer before the cycle ends so none become read-only.",
      ["I downgraded from Pro to Basic yesterday but we still have all the Pro features. Did it not work?",
       "Hi, switched our plan from Pro to Basic last week. The workspace still says Pro. When does the change happen?",
       "downgrade to basic didn't take effect?? still on pro",
       "Before I click downgrade: does Basic kick in right away, or do we keep Pro until the month we paid for ends? — {first}",
       "We scheduled a downgrade from Pro to Basic for {company}. Will we be charged $29 or $9 at the next monthly renewal?",
       "Hello, if I downgrade from Pro to Basic mid-month, do I lose the Pro features immediately? We have a client presentation next week."]),

    S("downgrade_over_limit", "downgrades", "If you are over the new plan's limits",
      "Basic allows 10 projects, so the other {_extra} of your {n} projects became read-only (archived) after the downgrade and nothing was deleted.",
      ["Decide which projects you still need to edit.",
       "Delete projects you no longer need until you have 10 or fewer.",
       "Or upgrade to Pro for unlimited projects.",
       "Until then, the archived projects stay readable."],
      "Bring the project count to 10 or fewer before a downgrade takes effect.",
      ["We moved to Basic and now some of our {n} projects are read-only. Did we lose them?",
       "Since the downgrade, several projects say 'archived' and I can't edit them. We have {n} projects in total. Help!",
       "downgraded to basic, have {n} projects, some are locked. how do I unlock",
       "Hi, {first} here. Our plan changed to Basic at renewal. We have {n} projects and the newest ones are read-only. Are these going to be deleted?",
       "Why are projects in our workspace suddenly read-only? We did switch {company} to Basic last month — there are {n} projects in total.",
       "After moving from Pro to Basic, I can only edit some of my {n} projects. Is there a way to get the others back?"],
      {"n|_extra": [("12", "2"), ("14", "4"), ("15", "5"), ("17", "7"), ("19", "9"), ("23", "13"), ("31", "21")]}),

    S("cancel_how", "cancellation", "How to cancel",
      "You can cancel at any time in Settings > Billing > Cancel subscription, and access continues until the end of the paid period.",
      ["Export your data first via Settings > Export > Download All.",
       "Open Settings > Billing > Cancel subscription and confirm.",
       "After the paid period the workspace is read-only for 30 days, and data is deleted 90 days after cancellation."],
      "Download the export within 7 days of its email, because the link expires.",
      ["How do I cancel our subscription? Can't find the button.",
       "Hi, we're winding down {company}. If I cancel today, do we lose access straight away?",
       "cancel account pls",
       "Hello, before I cancel I want to know exactly what happens to our files and when they get deleted. — {first}",
       "We've decided to move to another provider. What's the process to cancel and get our data out?",
       "My boss asked me to cancel Acme by the end of the month. Do we keep access until the renewal date if I do it now?"]),

    S("cancelled_get_files", "cancellation", "What happens after you cancel",
      "After the paid period ends, a cancelled workspace is read-only for 30 days, so you can still export your files now.",
      ["Log in and start an export in Settings > Export > Download All.",
       "Download the ZIP from the emailed link within 7 days.",
       "Act soon: data is deleted 90 days after cancellation."],
      "Export your data before cancelling a subscription.",
      ["We cancelled last month and now realise we need some old drawings. Can we still get them?",
       "Hi, our subscription ended a couple of weeks ago. I can log in but can't edit. Can I at least download everything?",
       "cancelled acme, forgot to export. is it too late???",
       "Hello, {first} from {company}. Our plan was cancelled at the end of last month. How long are the files kept and how do we get them out?",
       "The workspace is read-only since we cancelled. Our lawyer needs the full project history — what's the deadline?",
       "Former customer here. Is our data deleted the moment the subscription stops? We may need one export."]),

    S("discount_nonprofit", "discounts", "Nonprofits",
      "Nonprofits get 50% off the Pro plan.",
      ["Email support@acmecorp.example and ask for the nonprofit discount on your workspace.",
       "The discount is 50% off Pro, which is $29/month at list price.",
       "Discounts do not stack, so it cannot be combined with the startup or education offers."],
      "Ask for the discount before your next renewal so that charge uses the reduced price.",
      ["We're a registered charity. Do you have nonprofit pricing?",
       "Hi, I coordinate volunteers for a small food bank. Is there any discount on Pro for nonprofits?",
       "nonprofit discount? how much and how to apply",
       "Hello, {first} from a community theatre nonprofit. Pro at $29/month is a stretch for us. Any help?",
       "Our NGO has 12 staff who'd need Pro. Before we commit: what discount do charities get, and can we also get the startup offer?",
       "Do nonprofits get a reduced price on Acme Workspace? {company} currently pays full price for Pro."]),

    S("discount_education", "discounts", "Education",
      "Teachers and students at accredited schools get Pro for free with a school email address.",
      ["Sign up with your school email address.",
       "If your school email is not recognised, contact support@acmecorp.example.",
       "Each teacher or student uses their own school email."],
      "Use your school email for the account from the start so eligibility is easy to check.",
      ["I'm a teacher at an accredited secondary school. Is Pro free for teachers?",
       "Hi! Student at a university here. Do you have student pricing?",
       "edu discount? i have a school email",
       "Hello, I run a robotics club at our high school and want my students on Pro. What do we need?",
       "Our university lab wants Acme Workspace for a research group. Is there an education plan, and what are the conditions?",
       "I teach design at an accredited art college. Can my class of 30 use Pro without paying? — {first}"]),

    S("discount_startup", "discounts", "Startup programme",
      "Startups under 2 years old with less than $1M in funding, like yours, get 6 months of Pro free through the startup programme.",
      ["Contact support@acmecorp.example to join the startup programme.",
       "Use Pro free for 6 months.",
       "Plan for regular Pro pricing afterwards: $29/month, or $290/year billed annually."],
      "Note when the 6 free months end so the first paid charge is expected.",
      ["We founded our company {age} ago and raised {funding} in a pre-seed round. Any startup deal?",
       "Hi, startup here: incorporated {age} ago, {funding} raised so far. Is there a startup programme for Pro?",
       "startup discount? {age} old co, {funding} funding",
       "Hello! {first}, cofounder of {company}. We're {age} old with {funding} from angels. Can we get Pro cheaper while we find product-market fit?",
       "Do you support young companies? We started {age} ago and have {funding} in funding. We'd need Pro for 6 people.",
       "Our accelerator said AcmeCorp has a startup offer. We're {age} old and raised {funding}. How does it work?"],
      {"age": ["8 months", "14 months", "a year", "18 months", "6 months", "20 months"],
       "funding": ["$250k", "$400k", "$600k", "$750k", "$900k", "$150k"]}),

    S("discount_stack", "discounts", "Discounts do not stack",
      "Discounts do not stack, so only one of the nonprofit, education or startup offers can apply.",
      ["Compare the offers: 50% off Pro for nonprofits, 6 months of Pro free for startups, free Pro for teachers and students.",
       "Choose the one that saves you most.",
       "Ask support@acmecorp.example to apply it to your workspace."],
      "Check which offer fits best before applying, since you can use only one.",
      ["We're a nonprofit AND less than a year old with tiny funding. Can we get both the 50% and the startup offer?",
       "Can I combine the education offer with the nonprofit discount? Our school is also a registered charity.",
       "do discounts stack? startup + nonprofit",
       "Hi, we joined the startup programme and just got charitable status. Can we add the nonprofit discount on top?",
       "Hello, {first} here. Our social enterprise qualifies for two of your discounts. Which one do we get, or both?",
       "{company} is a 6-month-old startup with small funding that is also registered as a nonprofit. Can both discounts apply?"]),

    S("trial_ended", "plans-overview", "Free trial",
      "Your 14-day Pro trial has ended, and the workspace dropped to Basic because it was not upgraded.",
      ["Upgrade to Pro ($29/month) in Settings > Billing > Change plan.",
       "Upgrades take effect immediately, so Pro features return right away.",
       "Until you upgrade, Basic limits apply: 10 projects, 5 GB storage and up to 3 team members."],
      "Decide before day 14 of a trial, because the trial needs no card and does not convert by itself.",
      ["My trial ended and now I can't use some features. What happened?",
       "Hi, we were on the 14-day trial and today the workspace says Basic. Did we lose anything?",
       "trial over, wanna keep pro. how",
       "Hello, {first} from {company}. I didn't add a card during the trial and now we seem to be on a smaller plan.",
       "Why did my workspace drop to Basic? I thought the trial would just continue until I cancelled.",
       "Our Pro trial finished yesterday. The team can't find the GitHub integration any more. How do we upgrade?"]),

    S("seats_basic", "team-seats", "Seat limits by plan",
      "Basic allows up to 3 team members, and your workspace already has 3.",
      ["If the person only needs to view files, invite them as a guest in Settings > Members; guests are free and read-only.",
       "Otherwise upgrade to Pro, which allows up to 25 team members.",
       "Or remove a member who no longer needs access."],
      "Use the guest role for people who only need to view files.",
      ["I'm trying to invite a fourth person to our workspace and it won't let me. We're on Basic.",
       "Hi, can't add my new colleague — 'seat limit reached'. We have 3 people on Basic already. Options?",
       "basic plan, invite button blocked after 3 members",
       "Hello! {first} at {company}. We're three on Basic, just hired someone and want to add them, but the invite fails. Do we have to upgrade or is there another way?",
       "I want to give our accountant access to look at a few files, but we're at our member limit on Basic (3 people). Any workaround?",
       "How many people can be on a Basic workspace? We're three and need a fourth for a two-week project."]),

    S("seats_pro", "team-seats", "Seat limits by plan",
      "Pro allows up to 25 team members, and your workspace has reached that limit.",
      ["Change people who only review files to the guest role; guests are free and read-only.",
       "Remove members who no longer need access in Settings > Members.",
       "For more than 25 members, contact sales@acmecorp.example about Enterprise, which has unlimited members."],
      "Invite reviewers and clients as guests from the start.",
      ["We're on Pro and can't invite member number 26. Is 25 the cap?",
       "Our company grew and Acme won't let me add more people. We have 25 members on Pro.",
       "pro seat limit reached, need 5 more people, what now",
       "Hi, {first} from {company}. We have 25 seats used on Pro. Half of them are freelancers who only review files. Any way to free seats?",
       "Hello, is there a plan with more than 25 members? We're on Pro and about to onboard a new department.",
       "Invite fails with 'member limit' — Pro workspace, 25 users. Can you raise it just for us?"]),
]

# ---------------------------------------------------------------------------------- storage/data
SCENARIOS += [
    S("storage_full_basic", "storage-limits", "When storage is full",
      "Your Basic workspace has used its 5 GB, so uploads are blocked while existing files stay readable.",
      ["Delete files you no longer need to free space.",
       "Or upgrade to Pro, which has 50 GB; upgrades take effect immediately.",
       "The extra storage add-on is not available on Basic, only on Pro and Enterprise."],
      "Act on the warning emails sent at 80% and 95% of your quota.",
      ["Uploads keep failing with 'storage full'. We're on Basic. Can we still open our existing files?",
       "Hi, our Basic workspace hit 5 GB and nobody can upload. What can we do?",
       "storage full basic plan, need more space asap",
       "Hello, I got two warning emails about storage and now uploads are blocked on our Basic plan. Can I just buy extra storage? — {first}",
       "We're a 3-person team on Basic and just ran out of space after uploading a video shoot. Will you delete anything?",
       "The upload button gives an error about quota. {company} is on Basic. How do I fix this quickly?"]),

    S("storage_full_pro", "storage-limits", "Getting more space",
      "Your Pro workspace has used its 50 GB, so uploads are blocked while existing files stay readable.",
      ["Buy the extra storage add-on in Settings > Storage: $5/month for each extra 50 GB.",
       "Or delete files you no longer need.",
       "Retry the blocked uploads once there is free space."],
      "Add storage when the 80% warning email arrives rather than waiting until you are full.",
      ["Our Pro workspace is at 50 GB and uploads are blocked. How do we get more space?",
       "Hi, our Pro workspace is full and we need about 100 GB more storage. What does that cost?",
       "storage full on pro. add-on price?",
       "Hello, {first} from {company}. We got the 95% warning last week and now our Pro workspace is full. Can we still download files while we sort it out?",
       "Uploads blocked — 'workspace full'. We're on Pro. Do we need Enterprise to get more space?",
       "Our video team filled the 50 GB on Pro. Is there something between Pro and Enterprise for storage?"]),

    S("export_link_expired", "troubleshooting-export", "Step 2: Check whether the link has expired",
      "Export download links are valid for 7 days, so a link from {days} days ago has expired.",
      ["Go to Settings > Export > Download All to start a new export.",
       "Wait for the new link by email.",
       "Download the ZIP within 7 days."],
      "Download the export as soon as the email arrives.",
      ["The export download link says expired. I requested it {days} days ago.",
       "Hi, clicked the link in the export email ({days} days old) and got an error page. Can you resend it?",
       "export link expired after {days} days, need the zip again",
       "Hello, {first} here. I exported our workspace {days} days ago while on holiday and the link no longer works. Do I need to start over?",
       "Our IT guy finally got round to downloading the export from {days} days ago and it's dead. What's the validity period?",
       "Link from the 'Your export is ready' email doesn't work anymore ({days} days later). Please send a fresh one for {company}."],
      {"days": ["8", "9", "10", "12", "14", "16", "20"]}),

    S("export_not_arrived", "troubleshooting-export", "Step 1: Check your spam folder",
      "Export emails can land in spam, and exports of more than 100 GB can take up to 24 hours.",
      ["Check your spam or junk folder for the export email.",
       "If the workspace is larger than 100 GB, allow up to 24 hours.",
       "Do not start another export meanwhile; only one full export is allowed per 24 hours."],
      "Add AcmeCorp's sender address to your safe senders list.",
      ["Started an export this morning and never got the email. How long should it take?",
       "Hi, no export email yet after several hours. Our workspace is around 150 GB. Is it stuck?",
       "export never arrived???",
       "Hello, {first} from {company}. Clicked Download All yesterday, still nothing in my inbox. Can you check?",
       "I requested a full export and was told I'd get a link by email. Nothing. Tried again and it says I can't start another one.",
       "Where does the export link get sent? I've been waiting for hours and I'm not sure it was triggered."]),

    S("export_parts", "data-export", "Large workspaces",
      "Exports over 10 GB are split into 10 GB parts, so a {size} GB workspace arrives as {_parts} ZIP files.",
      ["Download all {_parts} parts from the emailed link within 7 days.",
       "Keep the parts together; between them they hold your files, JSON metadata and a CSV of projects.",
       "If a part is missing, run a new export after 24 hours; only one full export is allowed per 24 hours."],
      "Make sure you have enough local disk space for all parts before downloading.",
      ["I exported our workspace ({size} GB) and got several ZIP files instead of one. Is the export broken?",
       "Hi, the export email has multiple download links. Workspace is about {size} GB. Why?",
       "export is {size} gb, came as multiple parts — is that normal? — {first}",
       "Hello, we need one archive of everything for our records. The {size} GB export came split up. Can we get a single ZIP?",
       "We're migrating away and our {size} GB workspace export arrived in pieces. How do I know I have all of it?",
       "Our export ({size} GB) is too big to handle as one file. Is there a size limit on exports at {company}'s end or yours?"],
      {"size|_parts": [("23", "3"), ("35", "4"), ("48", "5"), ("61", "7"), ("17", "2"), ("29", "3"), ("72", "8")]}),

    S("trash_restore", "data-retention", "Deleted files and the Trash",
      "Deleted files stay in Trash for 30 days, so files deleted {days} days ago can still be restored.",
      ["Open the Trash in your workspace.",
       "Select the deleted files or folder and restore them.",
       "Do it before the 30 days are up, after which they are gone."],
      "Check the Trash soon after any large clean-up.",
      ["I deleted a folder of contracts {days} days ago by accident. Can it be recovered?",
       "Hi, a teammate cleaned up our project and removed files we needed. That was {days} days ago. Help?",
       "deleted files {days} days ago, where is the trash / recycle bin?",
       "Hello, {first} from {company}. Is there any way to undo a deletion from {days} days ago? It was the final artwork.",
       "How long do deleted files stay recoverable? I removed some spreadsheets {days} days ago and now regret it.",
       "Oops. Wiped the 'Q3 assets' folder {days} days back. Please tell me it's not gone forever."],
      {"days": ["1", "2", "4", "7", "11", "16", "22", "27"]}),

    S("account_delete", "data-retention", "Deleting your account",
      "You can delete your account in Settings > Account > Delete account, and deletion becomes permanent after 30 days.",
      ["Export anything you need first with Settings > Export > Download All.",
       "Open Settings > Account > Delete account and confirm.",
       "Deletion is permanent after 30 days, and backups are purged within 35 days."],
      "Keep your own copy of the export, since nothing can be restored once deletion is permanent.",
      ["How do I delete my AcmeCorp account completely?",
       "Hi, I want all my data erased. What's the process and how long until it's permanent?",
       "delete account + all data pls",
       "Hello, {first} here. If I delete my account and change my mind a week later, can I undo it?",
       "Our legal team asks how long deleted account data stays in your backups.",
       "I'm closing {company}. Please confirm the steps to delete our account and when the data is really gone."]),

    S("eu_residency", "security-overview", "Data centres and residency",
      "AcmeCorp has data centres in Frankfurt (EU) and Virginia (US), and EU data residency is available on Enterprise.",
      ["Contact sales@acmecorp.example about Enterprise with EU data residency.",
       "Ask for the DPA at the same time if your data protection officer needs one.",
       "Data is encrypted with AES-256 at rest and TLS 1.2+ in transit."],
      "Confirm residency requirements before migrating data so it lands in the right region.",
      ["Where is our data stored? We're a German company and need it in the EU.",
       "Hi, does AcmeCorp offer EU-only data residency? Our DPO is asking.",
       "data location? EU or US?",
       "Hello, {first} from {company}. For GDPR we must guarantee our files stay in the EU. Is that possible on Pro?",
       "Which data centres do you use? Our client contract requires EU hosting.",
       "Before we sign up: can you keep all of our workspace data in Frankfurt?"]),
]

# -------------------------------------------------------------------------------------- security
SCENARIOS += [
    S("login_lockout", "troubleshooting-login", "Step 2: Wait out a lockout",
      "After 5 failed login attempts an account is locked for 15 minutes.",
      ["Wait 15 minutes before trying again.",
       "If you are not sure of the password, use the password reset link instead; it is valid for 1 hour.",
       "If your workspace uses SSO, log in through your identity provider."],
      "Use a password manager so you do not burn through attempts with old passwords.",
      ["I'm locked out after typing my password wrong a few times. How long?",
       "Hi, it says 'account locked'. I definitely know my password now. When can I try again?",
       "locked out!! client meeting in 20 min",
       "Hello, {first} here. My account got locked after I tried several old passwords. Do I need support to unlock it?",
       "Our new hire locked herself out on day one. Can an admin unlock her or do we just wait?",
       "Why does Acme lock the account after 5 attempts? Is the lock permanent? — {first}, {company}"]),

    S("reset_expired", "troubleshooting-login", "Step 1: Reset your password",
      "Password reset links are valid for 1 hour, so the link you used has expired.",
      ["Click Forgot password on the sign-in page to get a new link.",
       "Open the email and set the new password within 1 hour.",
       "If your workspace uses SSO, skip the reset and log in through your identity provider."],
      "Use a reset link straight away after requesting it.",
      ["The password reset link says it's expired. I only got it this morning.",
       "Hi, clicked 'reset password' in the email after lunch and it says invalid or expired. I requested it before a 2-hour meeting.",
       "reset link expired. how long are they valid",
       "Hello, {first} from {company}. I requested a reset yesterday evening and opened the email today; the link doesn't work.",
       "Your password reset emails expire too fast. What's the time limit?",
       "I can't log in and the reset link from last night just gives an error page. What should I do?"]),

    S("sso_password", "troubleshooting-login", "Step 3: Does your company use SSO?",
      "Your workspace uses SSO, and SSO users must log in through their identity provider, not with a password.",
      ["Sign in through your company's identity provider, for example Okta, Azure AD or Google Workspace.",
       "Do not use the password login or password reset for this workspace.",
       "If the identity provider login fails, contact your IT administrator."],
      "Bookmark your identity provider's app launcher as the way into Acme.",
      ["My password doesn't work anymore. IT said something about SSO last week.",
       "Hi, since our company turned on Okta, my Acme login fails. Should I reset my password?",
       "cant log in with email+password, company uses sso now",
       "Hello, {first} at {company}. Password reset emails arrive but I still can't get in. We use Azure AD for everything.",
       "After our IT enforced single sign-on, the Acme login page rejects my password. What's the right way to sign in?",
       "New employee here. I was told to log into Acme via Google Workspace, but I tried a password and it keeps failing."]),

    S("sso_setup", "sso-saml", "Setting up SSO",
      "On Enterprise, SSO is set up by uploading your identity provider's metadata XML, testing it and then enforcing it.",
      ["Go to Settings > Security > SSO.",
       "Upload the IdP metadata XML exported from {idp}.",
       "Run the test login.",
       "Enforce SSO once the test succeeds."],
      "Keep the break-glass owner login (password + 2FA) working in case the IdP is unavailable.",
      ["We just upgraded to Enterprise. How do we connect {idp} for SSO?",
       "Hi, IT admin at {company} (Enterprise). Can you walk me through SAML setup with {idp}?",
       "sso setup steps for {idp}? enterprise plan",
       "Hello, we're on Enterprise and want to enforce single sign-on via {idp} for all staff. What's the order of steps so nobody gets locked out?",
       "Where do I upload the {idp} metadata file? We're on Enterprise and can't find the SSO page.",
       "Our security team wants {idp} SSO live on our Enterprise workspace by Friday. Anything we should test first? — {first}"],
      {"idp": ["Okta", "Azure AD", "Google Workspace"]}),

    S("sso_on_pro", "plan-enterprise", "Identity and security",
      "SSO is available only on the Enterprise plan, so it does not appear on Pro.",
      ["Contact sales@acmecorp.example about moving to Enterprise.",
       "Enterprise SSO supports SAML 2.0 with Okta, Azure AD and Google Workspace.",
       "Until then, admins on Pro can require 2FA for all members."],
      "Check which plan a security feature needs before your next audit.",
      ["We're on Pro and can't find SSO settings anywhere. Where are they?",
       "Hi, our security policy requires SAML single sign-on. Is that possible on Pro?",
       "sso on pro plan?",
       "Hello, {first} from {company}. We have 20 people on Pro and want Okta login. What do we need?",
       "Our auditors flagged that Acme isn't behind our identity provider. We're a Pro customer. Can you turn SSO on?",
       "Does the Pro plan support Azure AD sign-in? The settings page shows nothing about it."]),

    S("sso_idp_down", "sso-saml", "Break-glass owner login",
      "While the identity provider is unavailable, the break-glass owner login with password + 2FA still works.",
      ["Have the workspace owner log in with their password and 2FA code.",
       "Check or update the SSO settings in Settings > Security > SSO.",
       "Other members can log in through the IdP once it is working again."],
      "Keep the owner's 2FA device and recovery codes safe for emergencies.",
      ["Okta is down and nobody can log into Acme. Is there any way in?",
       "Hi, our IdP has an outage. I'm the workspace owner — can I still get in?",
       "azure ad outage, locked out of acme, emergency access?",
       "Hello, {first} from {company}. SSO is enforced and our identity provider is failing. Is there a backup login?",
       "What happens if our SSO provider goes down? Auditors want to know our break-glass procedure.",
       "Our Google Workspace SSO broke after a certificate change. How does the owner log in to fix the settings?"]),

    S("twofa_lost", "two-factor-auth", "Lost your device?",
      "Without your 2FA device you can sign in with one of the 10 recovery codes given when you set up 2FA.",
      ["At the 2FA prompt, enter a recovery code instead of the app or key code.",
       "Once in, set up 2FA again on your new device or key.",
       "If you have no recovery codes, contact support for an identity check, which takes up to 3 business days."],
      "Store your recovery codes in a password manager or another safe place.",
      ["My phone died for good and the authenticator was only on that phone. Is there another way to sign in?",
       "Hi, new phone, forgot to move my 2FA codes. Now I'm stuck at the code screen.",
       "phone stolen, cant do 2fa, help",
       "Hello, {first} from {company}. My hardware key broke and I never saved anything else. What now?",
       "I reset my phone and my TOTP app is empty. Do I have any backup options?",
       "Our admin dropped her phone in the sea on holiday and can't log in. She doesn't know where the recovery codes are. How long does recovery take?"]),

    S("twofa_sms", "two-factor-auth", "Supported methods",
      "AcmeCorp does not offer SMS for 2FA; it supports TOTP authenticator apps and hardware keys (WebAuthn).",
      ["Choose a TOTP authenticator app or a hardware security key (WebAuthn).",
       "Turn it on in Settings > Account > Two-factor authentication.",
       "Save the 10 recovery codes shown at setup."],
      "Register a hardware key for staff who cannot use a phone app.",
      ["Could AcmeCorp just text me my login codes? I'd rather not install yet another app.",
       "Hi, our staff don't want authenticator apps on their phones. Do you support SMS?",
       "2fa via sms possible?",
       "Hello, {first} here. Which 2FA methods do you support? Our policy prefers hardware keys.",
       "I don't have a smartphone. How can I use two-factor authentication?",
       "Why is there no SMS option in the 2FA setup? Every other tool at {company} uses it."]),
]

# ------------------------------------------------------------------------------------------- api
SCENARIOS += [
    S("api_401", "api-errors", "Error code reference",
      "A 401 response means the API key sent with the request is invalid.",
      ["Check the key is copied exactly and the request goes to https://api.acmecorp.example/v2.",
       "If the key was deleted or lost, create a new one in Settings > Developer > API keys.",
       "Copy the new key immediately, because keys are shown only once."],
      "Keep API keys in a secrets manager and update every script when you rotate them.",
      ["All my API calls return 401. The key worked yesterday.",
       "Hi, getting HTTP 401 from https://api.acmecorp.example/v2/projects with a brand new key. What's wrong?",
       "401 unauthorized on every request, using Bearer token",
       "Hello, {first} at {company}. Our nightly sync script started failing with 401 after a colleague left. Was the key tied to him?",
       "Why would the API say 401 invalid key when I copied it from a note I made last month?",
       "Our CI job gets 401 responses from the Acme API. Nothing changed in the code. Any ideas?"]),

    S("api_key_lost", "api-overview", "Creating API keys",
      "API keys are shown only once when they are created, so an existing key cannot be displayed again.",
      ["Create a new key in Settings > Developer > API keys and copy it straight away.",
       "Update your integration to use the new key.",
       "Revoke keys you no longer use; a workspace can have at most 10 active keys."],
      "Store each new key in a secrets manager the moment it is created.",
      ["Where can I see my API key again? I closed the window.",
       "Hi, I need the API key our old developer created. Can you show it in the settings?",
       "api key not visible anymore in settings, only the name",
       "Hello, {first} here. Can support send me our existing API key? I lost it.",
       "We want a separate key for each of our 12 services, but first I need to recover the one we already use. How?",
       "The Developer page at {company} shows our keys but not the values. How do I retrieve one?"]),

    S("api_403", "api-errors", "Error code reference",
      "A 403 means your plan does not include the feature, and webhooks are only available on Pro and Enterprise.",
      ["Upgrade the workspace to Pro; upgrades take effect immediately.",
       "Retry the webhook request with the same key.",
       "Your other API calls keep working within Basic's 60 requests/minute."],
      "Check which plan a feature needs before building on it.",
      ["Creating a webhook through the API returns 403. We're on Basic.",
       "Hi, POST to the webhooks endpoint gives 403 Forbidden, other endpoints work fine. Plan is Basic.",
       "403 when registering webhook, basic plan, key is valid",
       "Hello, {first} from {company}. Our integration gets 403 only for webhook setup. The same code works for a friend's workspace. We're on the Basic plan.",
       "Why do I get 403 instead of 401? The key is correct. I'm trying to subscribe to file.uploaded on our Basic workspace.",
       "API returns 403 for webhooks on our Basic account. Is this a permissions problem on my key?"]),

    S("api_413", "api-errors", "Upload errors",
      "A 413 means the file is over the 5 GB single-file upload limit, and yours is {size} GB.",
      ["Split or compress the file into pieces under 5 GB each.",
       "Upload the pieces separately.",
       "The same 5 GB limit applies in the web app, so it is not a workaround."],
      "Check file sizes in your script before uploading and split anything over 5 GB.",
      ["Uploading a {size} GB file through the API returns 413.",
       "Hi, our backup script gets HTTP 413 for one file ({size} GB). Smaller files go through.",
       "413 on upload via api. file is {size} GB",
       "Hello, {first} at {company}. We push raw footage via the v2 API and the {size} GB clip fails with 413. Is there a size cap?",
       "Can the API accept files bigger than the web app? A {size} GB upload keeps failing with 413.",
       "Getting 'payload too large' (413) from the API on a {size} GB database dump. Can you raise the limit for us?"],
      {"size": ["5.2", "6.8", "7.5", "9.1", "12", "14.6", "22"]}),

    S("api_429", "api-rate-limits", "When you exceed the limit",
      "HTTP 429 means the workspace went over the {plan} rate limit of {_limit} requests per minute.",
      ["Watch the X-RateLimit-Remaining header and slow down before it reaches zero.",
       "After a 429, wait the number of seconds in Retry-After before retrying.",
       "Limits are per workspace, so all your scripts and keys share them.",
       "If you need more, upgrade: {_upgrade}."],
      "Add backoff to every script so bursts do not trip the limit.",
      ["We keep getting 429 Too Many Requests from the API on our {plan} plan.",
       "Hi, our import script on {plan} dies with HTTP 429 after a minute or so. What's the limit?",
       "429s all day. {plan}. fix?",
       "Hello, {first} from {company}. We run three scripts against the same {plan} workspace and they all get rate limited. Is the limit per key?",
       "What's the Retry-After header about? We're on {plan} and getting throttled during bulk uploads.",
       "Our dashboard polls the API every second from several browsers and now we see 429 errors. Plan: {plan}."],
      {"plan|_limit|_upgrade": [("Basic", "60", "Pro allows 600 requests per minute"),
                                ("Pro", "600", "Enterprise allows 3,000 requests per minute")]}),

    S("api_5xx", "api-errors", "Retrying safely",
      "500 and 503 responses are server-side errors that should be retried with backoff.",
      ["Retry the request with exponential backoff.",
       "Check status.acmecorp.example for an ongoing incident.",
       "If errors continue, email support@acmecorp.example with the time and endpoint."],
      "Build retries with backoff into every API client.",
      ["We're seeing intermittent 503 errors from the API. Is something down?",
       "Hi, roughly 1 in 50 calls returns 500. Should we retry or is it our fault?",
       "api 500 internal server error on upload endpoint",
       "Hello, {first} from {company}. Our sync job failed overnight with a bunch of 503s. What do you recommend?",
       "Getting 503 Service Unavailable from the API since this morning. Is there a status page?",
       "How should our client handle 500/503 responses from Acme? We don't want to hammer the API."]),

    S("api_v1", "api-overview", "Base URL and versions",
      "API v1 was retired on 2026-04-10, so v1 endpoints no longer work.",
      ["Change the base URL to https://api.acmecorp.example/v2.",
       "Check each call against the v2 API documentation.",
       "Create keys in Settings > Developer > API keys if you need new ones."],
      "Follow the changelog so API retirements do not surprise you.",
      ["Our old integration stopped working in April. It calls /v1/ endpoints.",
       "Hi, we get errors from api.acmecorp.example/v1 since spring. Did something change?",
       "v1 api dead?",
       "Hello, {first} at {company}. A legacy script from 2024 uses the v1 API and broke. Where do I find the new base URL?",
       "Is API v1 still supported? Our vendor's plugin seems to use it.",
       "After months of working fine, all our /v1 requests fail. Nothing changed on our side."]),

    S("webhook_signature", "webhooks", "Verifying signatures",
      "Webhooks are signed with HMAC-SHA256 in the X-Acme-Signature header, and the check fails if the body was changed before hashing.",
      ["Compute an HMAC-SHA256 of the raw request body with your signing secret.",
       "Compare it with the value in the X-Acme-Signature header.",
       "Do not parse or re-serialize the JSON before hashing; any change to the body breaks the match."],
      "Log the raw body and header of one failed delivery to debug quickly.",
      ["Our webhook signature check always fails. How is X-Acme-Signature computed?",
       "Hi, we verify webhooks in Node and the HMAC never matches. Is it SHA1 or SHA256?",
       "webhook signature mismatch, every event",
       "Hello, {first} from {company}. Signature validation works in our test but fails behind our API gateway. Any idea why?",
       "Which header carries the webhook signature, and what algorithm is used? Our check keeps rejecting events.",
       "We parse the JSON and re-serialize it before checking the signature, and it never matches. What are we doing wrong?"]),

    S("webhook_retries", "webhooks", "Retries",
      "Failed webhook deliveries are retried 5 times over 24 hours with exponential backoff, so events from a {hours}-hour outage are sent again.",
      ["Keep the endpoint up; missed events are retried automatically.",
       "Expect late deliveries in the hours after the outage.",
       "Make your handler safe to receive the same event more than once."],
      "Monitor your webhook endpoint so outages stay well under 24 hours.",
      ["Our webhook endpoint was down for {hours} hours. Did we lose the events?",
       "Hi, we had a deploy go wrong and our receiver returned errors for {hours} hours. Will Acme resend?",
       "webhook endpoint down {hours}h, are events retried",
       "Hello, {first} at {company}. After a {hours}-hour outage on our side, we now get old events arriving late. Is that expected?",
       "How many times do you retry a failed webhook? Our server was offline for {hours} hours last night.",
       "We missed webhooks during a {hours} hour maintenance window. Do we need to replay anything?"],
      {"hours": ["2", "3", "4", "5", "6", "8", "9"]}),

    S("webhook_events", "webhooks", "Events",
      "Webhooks send four events: project.created, file.uploaded, member.added and export.ready.",
      ["Subscribe to whichever of these four events fits your workflow.",
       "For other changes, poll the REST API at https://api.acmecorp.example/v2 within your rate limit."],
      "Verify the X-Acme-Signature header on every event you receive.",
      ["Is there a webhook for when a file is deleted?",
       "Hi, which webhook events are available? We'd like to react to comments.",
       "webhook event list?",
       "Hello, {first} from {company}. We want a webhook when a member is removed. I only see member.added.",
       "Can we get a webhook when a file is updated, not just uploaded?",
       "Our automation needs to know when an export finishes. Is there an event for that?"]),
]

# ---------------------------------------------------------------------------------- integrations
SCENARIOS += [
    S("slack_channels", "integrations-slack", "Notifications per project channel",
      "The Slack integration sends notifications per project channel, so each project can post to its own channel.",
      ["For each project, choose a dedicated Slack channel for its notifications.",
       "Remove the shared channel from projects that should not post there.",
       "The integration works on all plans, and the /acme command is available in Slack."],
      "Give each active project its own channel from the start to keep noise down.",
      ["The Slack integration posts everything into one channel. Can we split it by project?",
       "Hi, our #general is flooded with Acme notifications. How do we route them per project?",
       "slack notifications too noisy, one channel for all projects",
       "Hello, {first} at {company}. Is the Slack integration available on Basic, and can each project have its own channel?",
       "We want project A updates in #design and project B in #dev. Possible with the Slack app?",
       "What can I do with the Acme Slack app besides one big notification feed? Someone mentioned a slash command."]),

    S("github_basic", "integrations-github", "Connecting GitHub",
      "The GitHub integration is available only on Pro and Enterprise, not on Basic.",
      ["Upgrade to Pro ($29/month); upgrades take effect immediately.",
       "Connect GitHub in Settings > Integrations > GitHub and link your repositories to projects.",
       "Turn on release sync for the repositories whose releases you want in Acme."],
      "Check an integration's plan requirement before planning a rollout.",
      ["I can't find the GitHub integration in our workspace. We're on Basic.",
       "Hi, is GitHub linking available for Basic plans?",
       "github integration missing, basic plan",
       "Hello, {first} from {company}. We're on Basic and would like to sync releases from our repos into projects. What plan do we need?",
       "The docs mention a GitHub integration but our Basic workspace doesn't show it. Bug?",
       "Our dev team wants repos linked to Acme projects. We're currently on Basic, the cheapest plan."]),

    S("zapier_limits", "integrations-zapier", "Triggers and actions",
      "The Zapier integration is available on all plans and offers 5 triggers and 3 actions.",
      ["Check whether one of the 5 triggers or 3 actions covers your workflow.",
       "For anything else, use the REST API at https://api.acmecorp.example/v2.",
       "On Pro and Enterprise, webhooks can also push events to your own endpoint."],
      "List the triggers you need before designing a Zap around them.",
      ["I'm building a Zap and can't find the trigger I need. How many triggers does Acme have on Zapier?",
       "Hi, is Zapier available on Basic?",
       "zapier: only a few triggers/actions?",
       "Hello, {first} from {company}. We want Zapier to create a project when a deal closes in our CRM. Is that supported?",
       "Our Zap needs a 'file deleted' trigger from Acme. I don't see it.",
       "Why does the Acme Zapier app have so few options compared with the API?"]),
]

# --------------------------------------------------------------------------- sync and performance
SCENARIOS += [
    S("sync_stuck", "troubleshooting-sync", "Step 5: Reset the sync cache",
      "A stuck desktop sync usually clears after checking the quota and file rules, then pausing and resetting the sync cache.",
      ["Check that the workspace storage is not full.",
       "Make sure no file is over 5 GB or has \\ / : * ? \" < > | in its name.",
       "Pause sync, then resume it.",
       "If it is still stuck, use Preferences > Advanced > Reset cache in the desktop app."],
      "Keep file names free of the rejected characters.",
      ["The desktop app on {os} has been 'syncing' for two days and nothing changes.",
       "Hi, my {os} sync app is stuck at 97%. Restarting the laptop didn't help.",
       "sync stuck on {os}, files not uploading",
       "Hello, {first} from {company}. Since yesterday the desktop client on {os} shows a spinning icon and new files never reach the web app.",
       "Our designer's {os} machine stopped syncing after she reorganised folders. What should she try?",
       "Desktop sync ({os}) frozen. Web upload works fine. Any fix before I reinstall?"],
      {"os": ["Windows", "macOS", "Windows 11", "a MacBook", "Windows 10"]}),

    S("upload_too_big", "troubleshooting-sync", "Step 2: Check the file size",
      "Single files are limited to 5 GB in both the web app and the API, and your file is {size} GB.",
      ["Split or compress the file into parts under 5 GB.",
       "Upload the parts separately.",
       "Free storage does not raise the limit, because the 5 GB cap applies per file."],
      "Split large media files before uploading them.",
      ["A {size} GB video won't upload in the browser. Smaller files are fine.",
       "Hi, the desktop app skips one file ({size} GB). Everything else syncs.",
       "cant upload {size} GB file",
       "Hello, {first} at {company}. We need to share a {size} GB disk image with a client through Acme. Upload fails at the end.",
       "Is there a maximum file size? Our {size} GB render keeps failing.",
       "Upload of a {size} GB zip errors out on Pro. We have lots of free storage, so it's not quota."],
      {"size": ["5.3", "6", "7.2", "8.5", "11", "16", "24"]}),

    S("bad_filenames", "troubleshooting-sync", "Step 3: Check the file name",
      "File names containing \\ / : * ? \" < > | are rejected, and {fname} contains {_char}.",
      ["Rename the file without those characters.",
       "Let sync pick it up again, or pause and resume sync.",
       "Check other files in the folder for the same characters."],
      "Agree team naming rules that avoid these characters.",
      ["One file never syncs: {fname} (everything else is fine).",
       "Hi, the web app refuses to upload {fname}. No error detail.",
       "file {fname} rejected?? why",
       "Hello, {first} from {company}. Our shared folder has a file called {fname} that keeps failing to sync.",
       "Sync reports an error on {fname}. Size is tiny, storage is fine.",
       "Why can't I upload {fname}? It opens fine on my computer."],
      {"fname|_char": [("Q3: budget.xlsx", "a colon (:)"), ("client<draft>.docx", "angle brackets (< >)"),
                       ("notes*final.txt", "an asterisk (*)"), ("What now?.pdf", "a question mark (?)"),
                       ("\"final\" copy.pdf", "double quotes (\")"), ("plan|v2.key", "a pipe (|)"),
                       ("scan\\page1.tif", "a backslash (\\)")]}),

    S("linux", "api-overview", "Using the API on Linux",
      "The desktop sync app is only available for Windows and macOS, so there is no Linux app.",
      ["Use the web app in a current Chrome, Firefox, Safari or Edge.",
       "For scripted sync or backups on Linux, use the REST API at https://api.acmecorp.example/v2.",
       "Keep each file under the 5 GB single-file limit."],
      "Respect your plan's API rate limit in Linux sync scripts.",
      ["Is there a desktop sync app for Linux?",
       "Hi, our developers all use Ubuntu. How do they sync files with Acme?",
       "linux client?",
       "Hello, {first} from {company}. Half our team runs Fedora. What are our options for syncing?",
       "Can I run the Acme sync client on a Linux server for nightly backups?",
       "I installed the Windows app under Wine and it crashes. Is there a native Linux version?"]),

    S("slow_project", "troubleshooting-performance", "Step 2: Check project size",
      "Projects with more than 10,000 files are slow in the web view, and this one has about {n} files.",
      ["Split the project so each active project has fewer than 10,000 files.",
       "Archive old projects you no longer work in.",
       "Use one of the last two versions of Chrome, Firefox, Safari or Edge."],
      "Start a new project per year or phase before one grows past 10,000 files.",
      ["One project takes ages to load in the browser. It has about {n} files.",
       "Hi, the web view is super slow for our archive project ({n} files). Other projects are fine.",
       "workspace slow, project with {n} files",
       "Hello, {first} from {company}. Opening our main project ({n} files, 10 years of scans) freezes Chrome. Help?",
       "Is there a file limit per project? Ours has {n} files and the web app crawls.",
       "Our team complains Acme is slow. The project they use has grown to {n} files. Could that be it?"],
      {"n": ["11,500", "14,000", "18,200", "23,000", "31,000", "48,000"]}),

    S("old_browser", "troubleshooting-performance", "Step 3: Use a supported browser",
      "Acme Workspace supports only the last two versions of Chrome, Firefox, Safari and Edge, and {browser} is not one of them.",
      ["Update to a current version of Chrome, Firefox, Safari or Edge.",
       "Reload the workspace.",
       "If a project is still slow, check whether it has more than 10,000 files."],
      "Keep browsers on automatic updates.",
      ["The workspace is really slow and some buttons don't work. I'm on {browser}.",
       "Hi, our office PCs run {browser}. Acme pages load half-broken.",
       "acme slow in {browser}",
       "Hello, {first} at {company}. Our kiosk machine uses {browser} and Acme barely works on it. Is it supported?",
       "Which browsers do you support? Using {browser} and the file preview never loads.",
       "Since last month's update Acme is sluggish on {browser}. Other sites are fine."],
      {"browser": ["Internet Explorer 11", "Chrome 92", "Safari 12", "Firefox 78", "Edge Legacy", "Opera 60"]}),
]

# ----------------------------------------------------------------------------- support and plans
SCENARIOS += [
    S("chat_basic", "support-channels", "Support channels",
      "Chat support is only for Pro and Enterprise, so Basic workspaces use email support.",
      ["Email support@acmecorp.example; Basic gets a reply within 2 business days.",
       "Check the help centre for quick answers.",
       "Upgrade to Pro for chat (Mon-Fri 08:00-20:00 UTC) and replies within 8 business hours."],
      "Include your workspace name and error details in the first email to avoid back-and-forth.",
      ["Where is the live chat? I can't find it anywhere. We're on Basic.",
       "Hi, I emailed support yesterday and haven't heard back. Basic plan. Is there chat?",
       "no chat button?? basic",
       "Hello, {first} from {company}. What are your support hours and how fast do you reply on Basic?",
       "Your website mentions chat support but on our Basic workspace I only see email. Is chat for higher plans only?",
       "I need a quicker answer than email. What are my options on Basic?"]),

    S("phone_support", "support-channels", "Support channels",
      "Phone support is only available on Enterprise, so it is not part of Pro.",
      ["Use chat, available Mon-Fri 08:00-20:00 UTC on Pro.",
       "Or email support@acmecorp.example; Pro gets replies within 8 business hours.",
       "If you need phone support, ask sales@acmecorp.example about Enterprise."],
      "Attach screenshots to chat or email so complex issues are quick to explain.",
      ["What's your support phone number? We're a Pro customer.",
       "Hi, I'd like to call someone about our Pro account. Is there a hotline?",
       "phone support for pro?",
       "Hello, {first} from {company} (Pro). Can we schedule a call with support instead of chatting?",
       "Our director prefers phone support. Does Pro include it?",
       "Is there a number I can ring? Our Pro workspace issue is hard to explain in writing."]),

    S("version_history", "data-retention", "Version history",
      "Basic keeps version history for 30 days, so a version from {days} days ago is no longer available.",
      ["Check whether anyone kept a local copy or an export of the file from that time.",
       "Upgrade to Pro to keep 180 days of version history from now on."],
      "Export important files regularly if you need records older than your plan's history.",
      ["I need the version of a document from {days} days ago. The history only goes back a month. We're on Basic.",
       "Hi, on Basic we can't see old versions beyond some point. I'm looking for one from {days} days back.",
       "restore file version from {days} days ago? basic plan",
       "Hello, {first} from {company}. A client disputes a change made {days} days ago. Can we get the earlier version? We use Basic.",
       "How far back does version history go on Basic? I need something from {days} days ago.",
       "We overwrote a spreadsheet {days} days ago on our Basic workspace. Any way to restore the earlier version?"],
      {"days": ["40", "45", "52", "60", "75", "90", "120"]}),

    S("enterprise_pricing", "plan-enterprise", "What's included",
      "Enterprise has custom pricing, so there is no list price to quote here.",
      ["Email sales@acmecorp.example with your team size and storage needs.",
       "Enterprise includes unlimited members, storage from 1 TB, SSO, SCIM, an audit log and a 99.9% uptime SLA.",
       "It also comes with a dedicated support manager and a 1-hour response for P1 issues."],
      "Prepare a list of must-have features before the sales call.",
      ["How much does Enterprise cost? I can't find a price.",
       "Hi, we're 80 people and need SSO. What would Enterprise cost?",
       "enterprise price?",
       "Hello, {first} from {company}. We need 2 TB of storage and an SLA. Can you send Enterprise pricing?",
       "What's included in Enterprise compared to Pro? Our CTO asks for a quote.",
       "Is there a per-seat price for Enterprise, or is it a flat fee?"]),
]

# ====================================================================================== machinery
FORMAT_RE = re.compile(
    r"1\. Diagnosis: [^\n]+\.\n"
    r"2\. Solution:\n"
    r"(?:   [1-5]\) [^\n]+\n){2,5}"
    r"3\. Prevention: [^\n]+\.\n"
    r"Source: \[([a-z0-9-]+)\] [^\n]+"
)
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(
    r"(?<!\w)(?<!\d[ .-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,5}\)|\d{2,4})[ .-]\d{3,4}[ .-]\d{4}(?![ .-]?\d)")
CARD_RE = re.compile(r"(?<!\d)(?:\d[ -]?){15}\d(?!\d)")
ROLES = ["system", "user", "assistant"]


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def has_card(text: str) -> bool:
    for m in CARD_RE.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if len(digits) == 16 and luhn_ok(digits):
            return True
    return False


def norm_tokens(text: str) -> list[str]:
    """Lower-case, strip punctuation, collapse whitespace (the tests use the same rule)."""
    return re.sub(r"[^\w\s]", "", text.lower()).split()


def near_same(a: list[str], b: list[str]) -> bool:
    """Equal after normalisation, or the same length with exactly one token changed."""
    if a == b:
        return True
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b)) == 1


def dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False)


def fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def reply_template(sc) -> str:
    lines = ["1. Diagnosis: " + sc["diag"], "2. Solution:"]
    lines += [f"   {i}) {step}" for i, step in enumerate(sc["steps"], 1)]
    lines += ["3. Prevention: " + sc["prev"], f"Source: [{sc['doc']}] {sc['heading']}"]
    return "\n".join(lines)


class Pool:
    """Draw values without repetition until the pool is exhausted, then reshuffle."""

    def __init__(self, items, rng):
        self.items, self.rng, self.queue = list(items), rng, []

    def next(self):
        if not self.queue:
            self.queue = self.items[:]
            self.rng.shuffle(self.queue)
        return self.queue.pop()


def one_sentence(text: str) -> bool:
    return text.endswith(".") and not re.search(r"[.!?]\s+[A-Z]", text)


def check_scenario(sc) -> None:
    where = f"scenario {sc['key']}"
    assert sc["doc"] in DOC_IDS, where
    assert 2 <= len(sc["steps"]) <= 5, where
    assert len(sc["tickets"]) >= 5, where
    slot_names = {name for key in sc["slots"] for name in key.split("|")}
    reply_fields = fields(reply_template(sc))
    assert reply_fields <= slot_names, (where, reply_fields - slot_names)
    needed = {f for f in reply_fields if not f.startswith("_")}
    for t in sc["tickets"]:
        tf = fields(t)
        assert tf <= slot_names | {"first", "company"}, (where, t)
        assert needed <= tf, (where, f"ticket lacks {needed - tf}: {t!r}")
    for key, values in sc["slots"].items():
        width = len(key.split("|"))
        assert all((len(v) == width) if width > 1 else isinstance(v, str) for v in values), where


def build_clean(rng) -> list[dict]:
    names, companies = Pool(FIRST_NAMES, rng), Pool(COMPANIES, rng)
    records = []
    for sc in SCENARIOS:
        check_scenario(sc)
        pools = {key: Pool(values, rng) for key, values in sc["slots"].items()}
        template = reply_template(sc)
        for j, ticket in enumerate(sc["tickets"]):
            vals = {"first": names.next(), "company": companies.next()}
            for key, pool in pools.items():
                value = pool.next()
                keys = key.split("|")
                vals.update(zip(keys, value) if len(keys) > 1 else [(key, value)])
            user = ticket.format(**vals)
            reply = template.format(**vals)
            parts = {"diag": sc["diag"].format(**vals), "steps": [s.format(**vals) for s in sc["steps"]],
                     "prev": sc["prev"].format(**vals), "source": f"[{sc['doc']}] {sc['heading']}"}
            records.append({"scenario": sc["key"], "phrasing": j, "parts": parts,
                            "messages": [{"role": "system", "content": SYSTEM},
                                         {"role": "user", "content": user},
                                         {"role": "assistant", "content": reply}]})
    check_clean(records)
    rng.shuffle(records)
    return records


def check_clean(records) -> None:
    keys = [sc["key"] for sc in SCENARIOS]
    assert len(keys) == len(set(keys)), "scenario keys must be unique"
    by_len: dict[int, list] = {}
    for r in records:
        user, reply = r["messages"][1]["content"], r["messages"][2]["content"]
        where = f"{r['scenario']}/{r['phrasing']}"
        m = FORMAT_RE.fullmatch(reply)
        assert m and m.group(1) in DOC_IDS, (where, reply)
        assert len(reply.split()) <= MAX_REPLY_WORDS, (where, len(reply.split()))
        assert one_sentence(r["parts"]["diag"]) and one_sentence(r["parts"]["prev"]), where
        assert not (EMAIL_RE.search(user) or PHONE_RE.search(user) or has_card(user)), (where, user)
        toks = norm_tokens(user)
        for other_where, other in by_len.get(len(toks), []):
            assert not near_same(toks, other), ("near duplicate tickets", where, other_where)
        by_len.setdefault(len(toks), []).append((where, toks))
    # phrasings of one scenario must differ by more than a swapped word or two
    for key in keys:
        texts = [" ".join(norm_tokens(r["messages"][1]["content"])) for r in records if r["scenario"] == key]
        for a, b in itertools.combinations(texts, 2):
            ratio = difflib.SequenceMatcher(None, a, b).ratio()
            assert ratio < 0.8, ("phrasings too similar", key, a, b, ratio)

# ======================================================================================= raw file
# Synthetic PII only: RFC 2606 example domains, 555 and Ofcom drama numbers, public test cards.
EMAILS = ["priya.raman@example.com", "t.nowak@example.org", "kwame.asante+acme@example.net",
          "billing.team@example.com", "lucia.fernandez@example.org", "j.okafor@example.net",
          "finance-ops@example.com", "h.lindqvist@example.org"]
EMAIL_SENTENCES = ["You can reach me at {x}.", "Please reply to {x}, I don't check the account inbox.",
                   "My login email is {x} if you need to look up the account.",
                   "CC our finance lead at {x} please.", "Contact: {x}", "(Sent from {x})",
                   "Account owner: {x}", "If it's easier, write to me at {x} instead."]
PHONES = ["+1 415 555 0134", "(020) 7946 0958", "+44 20 7946 0321", "415-555-0172",
          "+1 (212) 555-0187", "(0161) 496 0754"]
PHONE_SENTENCES = ["Call me on {x} if that's faster.", "My mobile: {x}",
                   "You can phone our office at {x} between 9 and 5.", "Best number to reach me: {x}.",
                   "Ring {x} and ask for me.", "Please call back on {x}."]
CARDS = ["4111 1111 1111 1111", "5555-5555-5555-4444", "4242424242424242", "5105 1051 0510 5100",
         "4000 0566 5566 5556"]
CARD_SENTENCES = ["The card on file is {x}, exp 09/28.", "I paid with {x}, can you check that charge?",
                  "Card number {x} was charged twice.",
                  "Here's the card we want to use instead: {x} (CVC on request).", "Charge my other card, {x}."]
WRONG_ROLES = [(1, "customer"), (2, "bot"), (2, "Assistant "), (1, "Human"), (0, "System")]
MISSING_ROLE = [1, 2, 0, 1]
EMPTY = [(1, ""), (2, ""), (1, "   "), (2, " \n "), (1, "\n\t")]
MALFORMED = ["truncated", "single_quotes", "trailing_comma"]
LOG_INTROS = ["Pasting the full desktop sync log in case it helps:",
              "Here is everything from our server log for the last few days:",
              "Full debug output from our integration below, sorry it's long:"]
LOG_TEMPLATES = ["chunk {a}/{b} uploaded path=/projects/p{c}/assets/file_{d}.bin",
                 "retrying request attempt={a} backoff_ms={c}",
                 "GET /v2/projects/{c}/files status={s} elapsed_ms={d}",
                 "heartbeat ok queue_depth={a} inflight={b}",
                 "cache lookup miss key=f{c}x{d}",
                 "POST /v2/files status={s} upload_id=u{c}{a} size_mb={d}",
                 "watcher event=modified path=/Users/shared/Acme/Projects/p{c}/notes_{a}.md"]
SYNONYMS = {"hi": "hello", "hello": "hi", "please": "pls", "pls": "please", "thanks": "thx",
            "cannot": "can't", "problem": "issue", "issue": "problem", "quick": "short", "really": "very",
            "help": "assist", "want": "need", "need": "want", "get": "receive", "our": "the",
            "my": "the", "now": "today", "anything": "something", "still": "even", "just": "only",
            "files": "documents", "workspace": "account"}


def with_messages(messages) -> str:
    return dumps({"messages": messages})


def add_sentence(text: str, sentence: str, rng) -> str:
    mode = rng.choice(["space", "para", "prepend"])
    if mode == "space":
        return text + " " + sentence
    if mode == "para":
        return text + "\n\n" + sentence
    return sentence + (" " if sentence[-1] in ".!?)" else "\n") + text


def log_block(rng, words_needed: int) -> str:
    lines, count = [], 0
    day, sec = rng.randint(2, 20), rng.randint(0, 3000)
    pid = rng.randint(1200, 8800)
    while count < words_needed:
        sec += rng.randint(1, 40)
        ts = f"2026-11-{day + sec // 86400:02d}T{sec // 3600 % 24:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}Z"
        msg = rng.choice(LOG_TEMPLATES).format(a=rng.randint(1, 40), b=rng.randint(41, 90),
                                               c=rng.randint(100, 9999), d=rng.randint(1, 999),
                                               s=rng.choice([200, 200, 200, 409, 429, 503]))
        level = rng.choice(["INFO", "INFO", "DEBUG", "WARN", "ERROR"])
        component = rng.choice(["sync-agent", "uploader", "api-client", "webhook-relay"])
        line = f"{ts} {level} {component}[{pid}] {msg}"
        lines.append(line)
        count += len(line.split())
    return "\n".join(lines)


def prose_reply(parts, k: int) -> str:
    """A helpful-sounding answer that ignores the required Diagnosis/Solution/Prevention format."""
    steps = " ".join(parts["steps"])
    style = k % 5
    if style == 0:
        return f"Thanks for reaching out! {parts['diag']} {steps} {parts['prev']} Hope this helps!"
    if style == 1:
        diag = parts["diag"][0].lower() + parts["diag"][1:]
        bullets = "\n- ".join(parts["steps"])
        return f"Hi there, {diag} Here's what to do:\n- {bullets}\nLet us know if it keeps happening."
    if style == 2:
        return f"**Cause:** {parts['diag']}\n**Fix:** {steps}\n**Tip:** {parts['prev']}"
    if style == 3:
        return f"{parts['diag']} {steps} See {parts['source']} for details."
    return f"Good question. {steps} ({parts['source']})"


def inject(kind: str, rec, k: int, rng) -> str:
    """Return the JSONL line for `rec` with exactly one defect of type `kind`."""
    msgs = copy.deepcopy(rec["messages"])
    user = msgs[1]["content"]
    if kind == "pii_email":
        msgs[1]["content"] = add_sentence(user, EMAIL_SENTENCES[k].format(x=EMAILS[k]), rng)
    elif kind == "pii_phone":
        msgs[1]["content"] = add_sentence(user, PHONE_SENTENCES[k].format(x=PHONES[k]), rng)
    elif kind == "pii_card":
        msgs[1]["content"] = add_sentence(user, CARD_SENTENCES[k].format(x=CARDS[k]), rng)
    elif kind == "wrong_role":
        i, role = WRONG_ROLES[k]
        msgs[i]["role"] = role
    elif kind == "missing_role":
        del msgs[MISSING_ROLE[k]]["role"]
    elif kind == "empty_content":
        i, content = EMPTY[k]
        msgs[i]["content"] = content
    elif kind == "overlong":
        other = sum(len(m["content"].split()) for m in msgs)
        need = OVERLONG_WORDS - other + rng.randint(80, 600)
        msgs[1]["content"] = user + "\n\n" + LOG_INTROS[k] + "\n" + log_block(rng, need)
    elif kind == "wrong_format":
        msgs[2]["content"] = prose_reply(rec["parts"], k)
    elif kind == "malformed_json":
        good = with_messages(msgs)
        style = MALFORMED[k % len(MALFORMED)]
        if style == "truncated":
            bad = good[:rng.randint(len(good) // 3, len(good) - 5)]
        elif style == "single_quotes":
            bad = repr({"messages": msgs})
        else:
            bad = good[:-2] + ",]}"
        try:
            json.loads(bad)
        except ValueError:
            return bad
        raise AssertionError("malformed line still parses")
    else:
        raise ValueError(kind)
    return with_messages(msgs)


def near_edit(text: str, rng) -> str:
    """Small edits that keep the ticket recognisably the same: case, punctuation, spacing, one word."""
    ops = rng.sample(["case", "punct", "space", "word"], rng.choice([1, 1, 2]))
    out = text
    for op in ops:
        spans = [m.span() for m in re.finditer(r"\S+", out)]
        if op == "case":
            if rng.random() < 0.4:
                out = out.lower() if out != out.lower() else out.upper()
            else:
                a, b = rng.choice(spans)
                word = out[a:b]
                new = word.upper() if word != word.upper() else word.lower()
                out = out[:a] + new + out[b:]
        elif op == "punct":
            marks = [i for i, ch in enumerate(out) if ch in ",.!?"]
            if marks and rng.random() < 0.6:
                i = rng.choice(marks)
                out = out[:i] + out[i + 1:]
            else:
                out = out.rstrip() + rng.choice(["!", "!!", "?", "...", " :("])
        elif op == "space":
            choice = rng.random()
            if choice < 0.5 and " " in out:
                gaps = [i for i, ch in enumerate(out) if ch == " "]
                i = rng.choice(gaps)
                out = out[:i] + "  " + out[i:]
            elif choice < 0.75:
                out = out + "   "
            else:
                out = " " + out
        else:  # one word changed: a synonym if there is one, else a typo (two letters swapped)
            candidates = []
            for a, b in spans:
                core = re.sub(r"^\W+|\W+$", "", out[a:b])
                if core.lower() in SYNONYMS:
                    candidates.append((a, b, core))
            if candidates:
                a, b, core = rng.choice(candidates)
                new = SYNONYMS[core.lower()]
                if core[0].isupper():
                    new = new[0].upper() + new[1:]
                word = out[a:b]
                out = out[:a] + word.replace(core, new, 1) + out[b:]
            else:
                longs = [(a, b) for a, b in spans if re.fullmatch(r"[A-Za-z]{5,}", out[a:b])]
                a, b = rng.choice(longs)
                w = out[a:b]
                i = rng.randint(1, len(w) - 3)
                out = out[:a] + w[:i] + w[i + 1] + w[i] + w[i + 2:] + out[b:]
    if out == text or not near_same(norm_tokens(text), norm_tokens(out)):
        return near_edit(text + "", rng)  # try another edit (deterministic: rng has advanced)
    return out


def build_raw(rng, records):
    base = rng.sample(records, RAW_BASE)
    items = [{"defect": None, "rec": r, "line": with_messages(r["messages"])} for r in base]
    kinds = [kind for kind, n in DEFECT_COUNTS.items() if kind not in DUPLICATE_TYPES for _ in range(n)]
    rng.shuffle(kinds)
    seen: dict[str, int] = {}
    for i, kind in zip(rng.sample(range(RAW_BASE), len(kinds)), kinds):
        k = seen.get(kind, 0)
        seen[kind] = k + 1
        items[i]["line"] = inject(kind, items[i]["rec"], k, rng)
        items[i]["defect"] = kind
    clean_items = [it for it in items if it["defect"] is None]
    n_exact, n_near = DEFECT_COUNTS["exact_duplicate"], DEFECT_COUNTS["near_duplicate"]
    dups = []
    for j, src in enumerate(rng.sample(clean_items, n_exact + n_near)):
        if j < n_exact:
            dups.append({"defect": "exact_duplicate", "src": src, "line": src["line"]})
        else:
            msgs = copy.deepcopy(src["rec"]["messages"])
            msgs[1]["content"] = near_edit(msgs[1]["content"], rng)
            dups.append({"defect": "near_duplicate", "src": src, "line": with_messages(msgs)})
    order = list(items)
    for d in dups:
        p = next(i for i, it in enumerate(order) if it is d["src"])
        order.insert(rng.randint(p + 1, len(order)), d)
    line_no = {id(it): n for n, it in enumerate(order, 1)}
    entries = []
    for it in order:
        if it["defect"]:
            e = {"line": line_no[id(it)], "defect": it["defect"]}
            if "src" in it:
                e["of"] = line_no[id(it["src"])]
            entries.append(e)
    counts = {kind: sum(e["defect"] == kind for e in entries) for kind in DEFECT_COUNTS}
    assert counts == DEFECT_COUNTS, counts
    lines = [it["line"] for it in order]
    check_raw(lines, entries)
    return lines, {"counts": counts, "lines": entries}


def detect(lines) -> dict[str, set[int]]:
    """Re-detect every defect type from the text alone (self-check; the tests have their own copy)."""
    found = {kind: set() for kind in DEFECT_COUNTS}
    seen_lines, parsed_users = set(), []
    for n, line in enumerate(lines, 1):
        exact = line in seen_lines
        seen_lines.add(line)
        if exact:
            found["exact_duplicate"].add(n)
        try:
            msgs = json.loads(line)["messages"]
        except ValueError:
            found["malformed_json"].add(n)
            continue
        if any("role" not in m for m in msgs):
            found["missing_role"].add(n)
        elif [m["role"] for m in msgs] != ROLES:
            found["wrong_role"].add(n)
        if any(not m["content"].strip() for m in msgs):
            found["empty_content"].add(n)
        if sum(len(m["content"].split()) for m in msgs) > OVERLONG_WORDS:
            found["overlong"].add(n)
        user, reply = msgs[1]["content"], msgs[2]["content"]
        if EMAIL_RE.search(user):
            found["pii_email"].add(n)
        if PHONE_RE.search(user):
            found["pii_phone"].add(n)
        if has_card(user):
            found["pii_card"].add(n)
        if reply.strip() and not FORMAT_RE.fullmatch(reply):
            found["wrong_format"].add(n)
        toks = norm_tokens(user)
        if toks and not exact and any(near_same(toks, t) for t in parsed_users):
            found["near_duplicate"].add(n)
        if toks:
            parsed_users.append(toks)
    return found


def check_raw(lines, entries) -> None:
    found = detect(lines)
    for kind in DEFECT_COUNTS:
        expected = {e["line"] for e in entries if e["defect"] == kind}
        assert found[kind] == expected, (kind, sorted(found[kind] ^ expected))


def write_manifest(path: Path, manifest) -> None:
    out = ["{", f'  "counts": {json.dumps(manifest["counts"])},', '  "lines": [']
    entries = manifest["lines"]
    out += ["    " + json.dumps(e) + ("," if i < len(entries) - 1 else "") for i, e in enumerate(entries)]
    out += ["  ]", "}"]
    path.write_text("\n".join(out) + "\n", encoding="utf-8", newline="\n")


def write_jsonl(path: Path, lines) -> None:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8", newline="\n")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "shared" / "labkit" / "data" / "tickets",
                    help="output folder (default: next to this script)")
    args = ap.parse_args(argv)
    rng = random.Random(SEED)
    records = build_clean(rng)
    raw_lines, manifest = build_raw(rng, records)
    args.out.mkdir(parents=True, exist_ok=True)
    write_jsonl(args.out / "tickets.jsonl", [with_messages(r["messages"]) for r in records])
    write_jsonl(args.out / "tickets_raw.jsonl", raw_lines)
    write_manifest(args.out / "tickets_raw.defects.json", manifest)
    print(f"tickets.jsonl: {len(records)} examples from {len(SCENARIOS)} scenarios")
    print(f"tickets_raw.jsonl: {len(raw_lines)} lines, {len(manifest['lines'])} defective")
    return 0


if __name__ == "__main__":
    sys.exit(main())
