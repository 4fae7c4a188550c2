"""The summary email, sent through msgraph-sdk as the requesting user (MailSender).

``POST /users/{id}/sendMail`` with ``saveToSentItems``: the mail leaves from the requester's own
mailbox and stays in their Sent Items, so they see exactly what went out and to whom. The app
needs the Mail.Send application permission (an Exchange application access policy can narrow it
to the account team's mailboxes).

The analysis is internal: every recipient must be on one of the tenant's domains, and not a guest
account there (``name_theirdomain#EXT#@tenant``, which is on the tenant's domain). That is
enforced here, on the last step before Graph, whatever the caller passes: one outside address
and nothing is sent at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph import GraphServiceClient
from msgraph.generated.models.body_type import BodyType
from msgraph.generated.models.email_address import EmailAddress
from msgraph.generated.models.item_body import ItemBody
from msgraph.generated.models.message import Message
from msgraph.generated.models.recipient import Recipient
from msgraph.generated.users.item.send_mail.send_mail_post_request_body import SendMailPostRequestBody
from msgraph.generated.users.item.user_item_request_builder import UserItemRequestBuilder

from graph.credentials import graph_settings_from_env
from graph.failures import graph_call
from graph.meeting_rules import is_guest_sign_in, not_in_directory
from graph.service import Attendee, GraphError

__all__ = ["MAIL_PERMISSION", "GraphMail", "MailRefused", "check_recipients"]

MAIL_PERMISSION = (
    "the app needs the Mail.Send application permission (and, if your admin limits it, an Exchange "
    "application access policy that covers your mailbox)"
)
USER_PERMISSION = "the app needs the User.Read.All application permission"
MAX_RECIPIENTS = 100
_ADDRESS = re.compile(r"^[^@\s<>\"',;]+@(?P<domain>[A-Za-z0-9.-]+\.[A-Za-z]{2,})$")


class MailRefused(GraphError):
    """Nothing was sent: no recipient, or one outside the tenant's domains. The message says which."""

    title = "Not emailed"
    advice = "The analysis is internal: share the document link with your account team instead."
    retry = False


def _domain(address: str) -> str | None:
    match = _ADDRESS.match(address.strip())
    return match.group("domain").lower() if match else None


def check_recipients(recipients: Iterable[Attendee], domains: Iterable[str]) -> list[Attendee]:
    """The recipients, once each (by address), when every one is on ``domains``; else MailRefused."""
    allowed = {d.lower().lstrip("@") for d in domains if d.strip()}
    if not allowed:
        raise MailRefused("Not sent: I do not know your organisation's mail domains (MCEM_TENANT_DOMAINS).")
    unique: dict[str, Attendee] = {}
    for person in recipients:
        address = person.email.strip()
        domain = _domain(address)
        if domain is None:
            raise MailRefused(f"Not sent: “{person.name}” has no valid email address.")
        if is_guest_sign_in(address):
            raise MailRefused(
                f"Not sent: {address} is a guest account (someone from another organisation); "
                "the analysis is internal and goes only to the account team."
            )
        if domain not in allowed:
            raise MailRefused(
                f"Not sent: {address} is outside your organisation ({', '.join(sorted(allowed))}); "
                "the analysis is internal and goes only to the account team."
            )
        unique.setdefault(address.lower(), person)
    if not unique:
        raise MailRefused("Not sent: the meeting had no internal attendees to email.")
    if len(unique) > MAX_RECIPIENTS:
        raise MailRefused(f"Not sent: {len(unique)} recipients is more than the {MAX_RECIPIENTS} allowed.")
    return list(unique.values())


class GraphMail:
    """MailSender over Microsoft Graph. Build once; share across requests."""

    def __init__(self, client: GraphServiceClient, *, tenant_domains: Iterable[str] = ()) -> None:
        self._client = client
        # Without configured domains, the sender's own mail domain is the tenant's.
        self._domains = tuple(d.lower().lstrip("@") for d in tenant_domains if d.strip())

    @classmethod
    def from_env(cls, client: GraphServiceClient, environ: Mapping[str, str]) -> GraphMail:
        return cls(client, tenant_domains=graph_settings_from_env(environ).tenant_domains)

    async def send(
        self, sender_id: str, recipients: Sequence[Attendee], subject: str, html: str
    ) -> list[Attendee]:
        """Send ``html`` from ``sender_id``'s mailbox; returns who it went to (deduplicated)."""
        if not sender_id:
            raise MailRefused("Not sent: I cannot tell who is sending it.")
        domains = self._domains or await self._sender_domains(sender_id)
        to = check_recipients(recipients, domains)
        message = Message(
            subject=" ".join(subject.split()),
            body=ItemBody(content_type=BodyType.Html, content=html),
            to_recipients=[
                Recipient(email_address=EmailAddress(address=p.email.strip(), name=p.name)) for p in to
            ],
        )
        body = SendMailPostRequestBody(message=message, save_to_sent_items=True)
        await graph_call(
            self._client.users.by_user_id(sender_id).send_mail.post(body),
            "your mailbox",
            permission=MAIL_PERMISSION,
            not_found=not_in_directory,
        )
        return to

    async def _sender_domains(self, sender_id: str) -> tuple[str, ...]:
        params = UserItemRequestBuilder.UserItemRequestBuilderGetQueryParameters(
            select=["id", "mail", "userPrincipalName"]
        )
        config: RequestConfiguration[Any] = RequestConfiguration(query_parameters=params)
        user = await graph_call(
            self._client.users.by_user_id(sender_id).get(config),
            "your user profile",
            permission=USER_PERMISSION,
            not_found=not_in_directory,
        )
        found = {_domain(a) for a in (user.mail, user.user_principal_name) if a} if user else set()
        return tuple(sorted(d for d in found if d))
