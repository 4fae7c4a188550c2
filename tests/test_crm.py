"""Opt-in CRM: the note and tasks an analysis becomes (mcem/crm.py), sent by the real Dataverse client
(bot/crm.py, bot/dataverse.py) over HTTP to the local Dataverse stand-in, which checks every request
against the published Web API metadata (tests/stubs/dataverse_stub.py).

The analysis is the seeded Contoso design workshop (samples/contoso-account/), with its aside about
the Leipzig site said in confidence.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date

import httpx
import pytest

from bot.crm import DynamicsCrm, crm_from_env
from bot.dataverse import DataverseClient, odata_string
from bot.state import CrmRecord, open_state
from graph.credentials import StaticTokenCredential
from mcem.crm import crm_update, due_date, private_texts, step_key
from mcem.errors import ConfigError
from mcem.model import Quote
from tests.stubs.dataverse_stub import BASE_PATH, TOKEN, DataverseStub, seed_demo
from tests.support.accounts import contoso_analyses
from tests.support.cli import run_cli
from tests.support.identity import IdentityEndpoint

DRAFT = "https://contoso.sharepoint.com/sites/mcem/Contoso/2026-11-10%20Sentinel%20design%20workshop.docx"
OWNERS = {
    "Adele Vance": "AdeleV@mcemdemo.onmicrosoft.com",
    "Lynne Robbins": "LynneR@mcemdemo.onmicrosoft.com",
}


def workshop():  # type: ignore[no-untyped-def]
    return contoso_analyses()[1]


@pytest.fixture
async def stub() -> AsyncIterator[DataverseStub]:
    server = DataverseStub()
    seed_demo(server)
    await server.start()
    yield server
    await server.stop()


def crm_for(stub: DataverseStub, **kw: float) -> DynamicsCrm:
    return DynamicsCrm(DataverseClient(stub.url, StaticTokenCredential(TOKEN), **kw))


def contoso(stub: DataverseStub) -> str:
    return next(a["accountid"] for a in stub.records("accounts") if a["name"] == "Contoso")


# -- the update: what goes, what never does ----------------------------------------------------------


def test_the_update_has_the_summary_stage_link_and_a_task_per_next_step() -> None:
    a = workshop()
    update = crm_update(a, DRAFT, owner_emails=OWNERS)
    assert update.company == "Contoso"
    assert update.note.subject.startswith("2026-11-10 Contoso – Sentinel design workshop")
    assert "Current MCEM stage: Inspire & Design" in update.note.text
    assert f"Draft: {DRAFT}" in update.note.text
    assert a.executive_summary[0][:60] in update.note.text
    assert [t.subject for t in update.tasks] == [s.action for s in a.next_steps]
    adele = next(t for t in update.tasks if t.subject.startswith("Send us the list of the analytics rules"))
    assert adele.owner_email == OWNERS["Adele Vance"] and adele.due == date(2026, 11, 11)  # "by Wednesday"
    assert "Due: by Wednesday (2026-11-11)" in adele.description
    assert "“I'd like Adele to send us the list of the analytics rules" in adele.description
    customer = next(t for t in update.tasks if t.owner_name == "Anika Schulz")
    assert customer.owner_email == ""  # the customer's people are no Dynamics users of ours


def test_nothing_said_in_confidence_is_in_the_update() -> None:
    a = workshop()
    assert any("Leipzig" in q.text for q in a.confidential)
    update = crm_update(a, DRAFT)
    assert "Leipzig" not in json.dumps([*update.texts(), [str(t.due) for t in update.tasks]])
    assert private_texts(update) == []


def test_a_hand_edited_step_that_repeats_the_aside_is_left_out() -> None:
    a = workshop()
    aside = a.confidential[0]
    leaky = a.next_steps[0].model_copy(
        update={"action": "Plan the rollout around the Leipzig sale", "quote": aside}
    )
    summary = [*a.executive_summary, "They also plan to sell the Leipzig site next year."]
    edited = a.model_copy(update={"next_steps": [leaky, *a.next_steps[1:]], "executive_summary": summary})
    update = crm_update(edited, DRAFT)
    assert len(update.tasks) == len(a.next_steps) - 1
    assert "Leipzig" not in " ".join(update.texts())


def test_links_and_the_internal_reference_stay_out_of_the_note() -> None:
    a = workshop()
    summary = [a.executive_summary[0] + " See https://evil.example/x for more."]
    update = crm_update(a.model_copy(update={"executive_summary": summary}), DRAFT)
    assert "evil.example" not in update.note.text and "(link removed)" in update.note.text
    with pytest.raises(ValueError, match="http"):
        crm_update(a, "javascript:alert(1)")


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("by Wednesday", date(2026, 11, 11)),
        ("by the end of next week", date(2026, 11, 20)),
        ("by the twelfth of December", date(2026, 12, 12)),
        ("on 3 January", date(2027, 1, 3)),
        ("December 1st", date(2026, 12, 1)),
        ("within two weeks", date(2026, 11, 24)),
        ("before the kick-off", None),
        ("soon", None),
    ],
)
def test_due_dates_as_said_are_read_from_the_meeting_date(said: str, expected: date | None) -> None:
    assert due_date(said, date(2026, 11, 10)) == expected  # a Tuesday


def test_odata_string_literals_double_their_quotes() -> None:
    assert odata_string("O'Brien's") == "'O''Brien''s'"


# -- sent to the stand-in with the real client ------------------------------------------------------


async def test_a_note_and_tasks_are_created_on_the_account_with_binds_owner_and_due(
    stub: DataverseStub,
) -> None:
    a = workshop()
    crm = crm_for(stub)
    try:
        outcome = await crm.push(crm_update(a, DRAFT, owner_emails=OWNERS), None, "run-1")
    finally:
        await crm.aclose()
    assert stub.violations == []
    account = contoso(stub)
    assert outcome.ok and outcome.line == (
        f"Dynamics 365: note and {len(a.next_steps)} tasks added on the account “Contoso”."
    )
    [note] = stub.records("annotations")
    assert note["objectid_account@odata.bind"] == f"/accounts({account})"
    assert DRAFT in note["notetext"] and "Inspire & Design" in note["notetext"]
    tasks = stub.records("tasks")
    assert len(tasks) == len(a.next_steps)
    assert {t["regardingobjectid_account_task@odata.bind"] for t in tasks} == {f"/accounts({account})"}
    adele_id = next(u["systemuserid"] for u in stub.records("systemusers") if u["fullname"] == "Adele Vance")
    rules = next(t for t in tasks if t["subject"].startswith("Send us the list of the analytics rules"))
    assert rules["ownerid_task@odata.bind"] == f"/systemusers({adele_id})"
    assert rules["scheduledend"] == "2026-11-11T12:00:00Z"
    anika = next(t for t in tasks if "Owner: Anika Schulz" in t["description"])
    assert "ownerid_task@odata.bind" not in anika and "scheduledend" not in anika  # left to the caller
    # The ids kept are the stand-in's, read from the representation it returned.
    assert outcome.record == CrmRecord(
        account, note["annotationid"], {step_key(t["subject"]): t["activityid"] for t in tasks}, "run-1"
    )
    # The account lookup: $filter on name, $select of the two columns it needs.
    first = stub.seen[0]
    assert first.method == "GET" and first.path == "accounts"
    assert first.query["$filter"] == "name eq 'Contoso'" and first.query["$select"] == "accountid,name"
    assert all(s.headers.get("Prefer") == "return=representation" for s in stub.sent("POST"))


async def test_the_confidential_aside_never_reaches_dataverse(stub: DataverseStub) -> None:
    crm = crm_for(stub)
    try:
        await crm.push(crm_update(workshop(), DRAFT, owner_emails=OWNERS), None, "run-1")
    finally:
        await crm.aclose()
    wire = json.dumps([(s.path, s.query, s.body) for s in stub.seen])
    assert stub.seen and "Leipzig" not in wire and "within this group" not in wire


async def test_an_update_that_still_holds_an_aside_is_not_sent(stub: DataverseStub) -> None:
    update = crm_update(workshop(), DRAFT)
    leaky = replace(update, note=replace(update.note, text="We will sell the Leipzig site."))
    crm = crm_for(stub)
    try:
        outcome = await crm.push(leaky, None, "run-1")
    finally:
        await crm.aclose()
    assert not outcome.ok and "said in confidence" in outcome.line and stub.seen == []


async def test_a_meeting_that_is_no_customer_engagement_goes_nowhere(stub: DataverseStub) -> None:
    internal = workshop().model_copy(update={"meeting_kind": "not_customer_engagement"})
    crm = crm_for(stub)
    try:
        outcome = await crm.push(crm_update(internal, DRAFT), None, "run-1")
    finally:
        await crm.aclose()
    assert outcome.line == "Dynamics 365: not a customer engagement, so no note or tasks were added."
    assert stub.seen == []


async def test_re_running_the_same_meeting_updates_instead_of_adding(stub: DataverseStub) -> None:
    a = workshop()
    crm = crm_for(stub)
    try:
        first = await crm.push(crm_update(a, DRAFT, owner_emails=OWNERS), None, "run-1")
        # A Regenerate whose analysis dropped one step and found a new one.
        new_step = a.next_steps[0].model_copy(update={"action": "Share the Sentinel cost estimate"})
        again = a.model_copy(update={"next_steps": [*a.next_steps[1:], new_step]})
        second = await crm.push(crm_update(again, DRAFT, owner_emails=OWNERS), first.record, "run-2")
    finally:
        await crm.aclose()
    assert stub.violations == [] and second.ok and "updated on the account" in second.line
    assert len(stub.records("annotations")) == 1
    subjects = sorted(t["subject"] for t in stub.records("tasks"))
    assert subjects == sorted(s.action for s in again.next_steps)
    assert second.record is not None and first.record is not None
    assert second.record.note_id == first.record.note_id
    kept = set(first.record.tasks.values()) & set(second.record.tasks.values())
    assert len(kept) == len(a.next_steps) - 1  # the same tasks, updated in place
    patches = stub.sent("PATCH")
    assert patches and all(p.headers.get("If-Match") == "*" for p in patches)
    assert len(stub.sent("DELETE")) == 1


async def test_a_note_deleted_in_dynamics_is_created_again(stub: DataverseStub) -> None:
    crm = crm_for(stub)
    try:
        first = await crm.push(crm_update(workshop(), DRAFT), None, "run-1")
        assert first.record is not None
        del stub.rows["annotations"][first.record.note_id]  # someone deleted it in Dynamics
        second = await crm.push(crm_update(workshop(), DRAFT), first.record, "run-2")
    finally:
        await crm.aclose()
    assert second.ok and len(stub.records("annotations")) == 1
    assert second.record is not None and second.record.note_id != first.record.note_id


async def test_an_unknown_account_gets_nothing_and_says_so(stub: DataverseStub) -> None:
    a = workshop().model_copy(update={"company_name": "Northwind Traders"})
    crm = crm_for(stub)
    try:
        outcome = await crm.push(crm_update(a, DRAFT), None, "run-1")
    finally:
        await crm.aclose()
    assert (
        outcome.line == "Dynamics 365: no account named “Northwind Traders”, so no note or tasks were added."
    )
    assert outcome.record is None and stub.sent("POST") == []


async def test_two_accounts_of_that_name_are_ambiguous_and_get_nothing(stub: DataverseStub) -> None:
    stub.add("accounts", name="contoso")  # Dataverse compares names without regard to case
    crm = crm_for(stub)
    try:
        outcome = await crm.push(crm_update(workshop(), DRAFT), None, "run-1")
    finally:
        await crm.aclose()
    assert "more than one account is named “Contoso”" in outcome.line and stub.sent("POST") == []


async def test_a_name_with_quotes_is_escaped_in_the_filter(stub: DataverseStub) -> None:
    stub.add("accounts", name="O'Brien's Bakery")
    a = workshop().model_copy(update={"company_name": "O'Brien's Bakery"})
    crm = crm_for(stub)
    try:
        outcome = await crm.push(crm_update(a, DRAFT), None, "run-1")
    finally:
        await crm.aclose()
    assert outcome.ok and stub.seen[0].query["$filter"] == "name eq 'O''Brien''s Bakery'"


@pytest.mark.parametrize(
    ("status", "why"),
    [
        (401, "could not sign in to Dataverse"),
        (403, "lacks a security role"),
        (500, "Dataverse answered 500"),
    ],
)
async def test_a_refusal_part_way_keeps_what_was_created_and_says_why(
    stub: DataverseStub, status: int, why: str
) -> None:
    stub.fail("POST", "tasks", status, times=10)
    crm = crm_for(stub)
    try:
        outcome = await crm.push(crm_update(workshop(), DRAFT), None, "run-1")
    finally:
        await crm.aclose()
    assert not outcome.ok and outcome.line.startswith("Dynamics 365 was not updated:") and why in outcome.line
    # The note was created before the refusal: recorded, so a retry updates it rather than adding one.
    assert (
        outcome.record is not None
        and outcome.record.note_id == stub.records("annotations")[0]["annotationid"]
    )
    assert len(stub.sent("POST")) == 2  # the note, then the first task; no retry of a refusal


async def test_throttling_waits_for_retry_after_then_goes_on(stub: DataverseStub) -> None:
    stub.fail("POST", "annotations", 429, times=1, retry_after="0")
    crm = crm_for(stub)
    try:
        outcome = await crm.push(crm_update(workshop(), DRAFT), None, "run-1")
    finally:
        await crm.aclose()
    assert outcome.ok and [s.status for s in stub.sent("POST")][:2] == [429, 201]


async def test_throttling_longer_than_the_app_waits_is_a_line_not_a_wait(stub: DataverseStub) -> None:
    stub.fail("GET", "accounts", 429, times=5, retry_after="3600")
    crm = crm_for(stub, max_wait_s=1.0)
    try:
        outcome = await crm.push(crm_update(workshop(), DRAFT), None, "run-1")
    finally:
        await crm.aclose()
    assert "busy (throttled)" in outcome.line and len(stub.seen) == 1


async def test_an_unreachable_dataverse_is_a_line() -> None:
    crm = DynamicsCrm(DataverseClient("http://127.0.0.1:9", StaticTokenCredential(TOKEN)))
    try:
        outcome = await crm.push(crm_update(workshop(), DRAFT), None, "run-1")
    finally:
        await crm.aclose()
    assert (
        outcome.line == "Dynamics 365 was not updated: Dataverse could not be reached; try Regenerate later."
    )


# -- the stand-in holds the client to the published metadata ---------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "why"),
    [
        ("tasks", {"subject": "x", "duedate": "2026-11-11T12:00:00Z"}, "undeclared property 'duedate'"),
        ("tasks", {"subject": "x", "regardingobjectid": "abc"}, "navigation property with @odata.bind"),
        (
            "tasks",
            {
                "subject": "x",
                "objectid_account@odata.bind": "/accounts(00000000-0000-0000-0000-000000000001)",
            },
            "undeclared navigation property 'objectid_account'",
        ),
        ("annotations", {"subject": "x" * 501}, "MaxLength 500"),
        (
            "tasks",
            {"subject": "x", "scheduledend": "next Wednesday"},
            "'scheduledend' (DateTime) is not valid",
        ),
        ("tasks", {"subject": "x", "createdon": "2026-11-11T12:00:00Z"}, "read-only property 'createdon'"),
    ],
)
async def test_the_stand_in_refuses_what_the_metadata_does_not_allow(
    stub: DataverseStub, path: str, body: dict[str, object], why: str
) -> None:
    headers = {
        "Authorization": f"Bearer {TOKEN}",
        "OData-Version": "4.0",
        "OData-MaxVersion": "4.0",
        "Accept": "application/json",
    }
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{stub.url}{BASE_PATH}/{path}", json=body, headers=headers)
    assert response.status_code == 400
    assert why in response.json()["error"]["message"] and stub.violations
    assert stub.records(path) == []


async def test_the_stand_in_refuses_a_wrong_token(stub: DataverseStub) -> None:
    crm = DynamicsCrm(DataverseClient(stub.url, StaticTokenCredential("someone-elses-token")))
    try:
        outcome = await crm.push(crm_update(workshop(), DRAFT), None, "run-1")
    finally:
        await crm.aclose()
    assert "could not sign in" in outcome.line and [s.status for s in stub.seen] == [401]


# -- configuration -----------------------------------------------------------------------------------


def test_without_mcem_crm_nothing_is_loaded() -> None:
    assert crm_from_env({}) is None
    assert crm_from_env({"MCEM_CRM": "off", "MCEM_DATAVERSE_URL": "https://x.crm.dynamics.com"}) is None


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MCEM_CRM": "salesforce"}, "not a CRM this app knows"),
        ({"MCEM_CRM": "dynamics"}, "needs MCEM_DATAVERSE_URL"),
        (
            {"MCEM_CRM": "dynamics", "MCEM_DATAVERSE_URL": "contoso.crm.dynamics.com"},
            "needs MCEM_DATAVERSE_URL",
        ),
        (
            {"MCEM_CRM": "dynamics", "MCEM_DATAVERSE_URL": "https://contoso.crm.dynamics.com/api/data/v9.2"},
            "organisation's address",
        ),
        ({"MCEM_CRM": "dynamics", "MCEM_DATAVERSE_URL": "http://contoso.crm.dynamics.com"}, "https only"),
        (
            {
                "MCEM_CRM": "dynamics",
                "MCEM_DATAVERSE_URL": "https://contoso.crm.dynamics.com",
                "MCEM_DATAVERSE_TOKEN": "t",
            },
            "stand-in only",
        ),
    ],
)
def test_a_bad_crm_setting_is_one_clear_line(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        crm_from_env(env)


async def test_the_app_signs_in_with_azure_identity_for_the_org_scope(
    stub: DataverseStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The real ManagedIdentityCredential (the app's own identity, as in Azure) against a local endpoint.
    identity = IdentityEndpoint(token=TOKEN)
    await identity.start()
    for name in (
        "MSI_ENDPOINT",
        "MSI_SECRET",
        "IDENTITY_SERVER_THUMBPRINT",
        "AZURE_FEDERATED_TOKEN_FILE",
        "AZURE_CLIENT_SECRET",
        "AZURE_CLIENT_CERTIFICATE_PATH",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("IDENTITY_ENDPOINT", identity.url)
    monkeypatch.setenv("IDENTITY_HEADER", "identity-header-from-the-platform")
    env = {
        "MCEM_CRM": "dynamics",
        "MCEM_DATAVERSE_URL": stub.url + "/",
        "AZURE_CLIENT_ID": "6d3f1a2b-0c4e-4f5a-9b8c-7d6e5f4a3b2c",
    }
    crm = crm_from_env(env)
    assert crm is not None
    try:
        outcome = await crm.push(crm_update(workshop(), DRAFT), None, "run-1")
    finally:
        await crm.aclose()
        await identity.stop()
    assert outcome.ok
    assert {a["resource"] for a in identity.asked} == {stub.url}  # <org url>/.default
    assert {s.headers["Authorization"] for s in stub.seen} == {f"Bearer {TOKEN}"}


async def test_the_state_keeps_what_each_meeting_created() -> None:
    state = await open_state(":memory:")
    try:
        assert await state.crm_record("org/meeting-1") is None
        record = CrmRecord("acc", "note", {"k1": "t1", "k2": "t2"}, "run-1")
        await state.save_crm_record("org/meeting-1", record)
        assert await state.crm_record("org/meeting-1") == record
        await state.save_crm_record("org/meeting-1", CrmRecord("acc", "note", {"k1": "t1"}, "run-2"))
        assert (await state.crm_record("org/meeting-1")) == CrmRecord("acc", "note", {"k1": "t1"}, "run-2")
    finally:
        await state.close()


def test_quote_type_is_what_the_update_reads() -> None:
    # The update reads the quote's speaker and start; a step without a start has no time in its description.
    a = workshop()
    step = a.next_steps[0].model_copy(
        update={"quote": Quote(text=a.next_steps[0].quote.text, speaker="Adele Vance")}
    )
    update = crm_update(a.model_copy(update={"next_steps": [step]}), DRAFT)
    assert "— Adele Vance\n" in update.tasks[0].description + "\n"


async def test_the_command_line_sends_nothing_and_says_so(stub: DataverseStub, tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {"MCEM_CRM": "dynamics", "MCEM_DATAVERSE_URL": stub.url, "MCEM_DATAVERSE_TOKEN": TOKEN}
    call = "samples/contoso-account/contoso-2-sentinel-design-workshop.vtt"
    # In a thread: the command line runs its own event loop, as it does from a shell.
    ran = await asyncio.to_thread(
        run_cli, "analyze", call, "--out", str(tmp_path), "--company", "Contoso", env=env
    )
    assert ran.returncode == 0 and (tmp_path / "analysis.docx").exists()
    assert "MCEM_CRM is set, but the command line sends nothing to a CRM" in ran.stderr
    assert stub.seen == []
