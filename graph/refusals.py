"""Tenant refusals: the settings of a Microsoft 365 tenant that make Graph refuse a transcript, each
with its cause and the exact admin step that lifts it.

Graph answers them as (checked against Microsoft Learn and public clients, 2026-12):

=======================  ======  =====================================================================
refusal                  status  how to tell it
=======================  ======  =====================================================================
transcripts_disabled     403     ``innerError.code`` GraphAccessToTranscriptsDisabled (list, metadata,
                                 content, and creating or renewing a transcript subscription)
attribution_not_allowed  403     ``innerError.code`` SpeakerAttributionNotAllowed (content as text/vtt)
no_policy                403     message "No application access policy found for this app"
no_policy_or_rsc         403     message "... neither is allowed access through RSC permission evaluation"
billing_not_set_up       402     Payment Required (metered transcript content, no billing account)
=======================  ======  =====================================================================

The inner code is what to branch on (Graph's messages change); the two policy refusals have no
code of their own, so their message is read. Everything here is safe to log and to show.
"""

from __future__ import annotations

from dataclasses import dataclass

from graph.service import AccessDenied

__all__ = ["REFUSALS", "Refusal", "TenantRefusal", "admin_step", "refusal_for"]

ACCESS_DISABLED = "GraphAccessToTranscriptsDisabled"
ATTRIBUTION_NOT_ALLOWED = "SpeakerAttributionNotAllowed"
POLICY = "MCEM-Analyst"  # the policy name deploy/README.md uses
APP_ID = "<the bot's app (client) id>"


@dataclass(frozen=True)
class Refusal:
    kind: str
    title: str  # the error card's title
    cause: str  # what the tenant refuses, in one sentence
    admin_step: str  # the exact command or permission that lifts it


TRANSCRIPTS_DISABLED = Refusal(
    "transcripts_disabled",
    "Transcript access is off in this tenant",
    "Microsoft Graph access to Teams meeting transcripts is turned off for this tenant "
    f"({ACCESS_DISABLED}), so no app can read a transcript, whatever its permissions.",
    "In Teams PowerShell: `Set-CsTeamsMeetingConfiguration -Identity Global "
    "-EnableGraphTranscriptAccess $true` (or Teams admin center: Meetings > Meeting settings > "
    "Transcript API access > Microsoft Graph access On).",
)
ATTRIBUTION_OFF = Refusal(
    "attribution_not_allowed",
    "Speaker names are withheld in this tenant",
    f"This tenant does not allow speaker attribution in transcripts read through Microsoft Graph "
    f"({ATTRIBUTION_NOT_ALLOWED}); the analysis needs to know who said what to quote the customer.",
    "In Teams PowerShell: `Set-CsTeamsMeetingConfiguration -Identity Global "
    "-EnableAttributedTranscripts $true` (or Teams admin center: Transcript API access > Configure > "
    "Include speaker attribution On).",
)
NO_POLICY = Refusal(
    "no_policy",
    "No application access policy for this organizer",
    "No Teams application access policy lets this app read online meetings on behalf of the "
    "meeting's organizer.",
    f'In Teams PowerShell: `New-CsApplicationAccessPolicy -Identity {POLICY} -AppIds "{APP_ID}"` '
    f"once, then `Grant-CsApplicationAccessPolicy -PolicyName {POLICY} -Identity <organizer>` "
    "(or `-Global` for everyone).",
)
NO_POLICY_OR_RSC = Refusal(
    "no_policy_or_rsc",
    "Neither a policy nor chat consent covers this meeting",
    "Neither a Teams application access policy for the organizer nor resource-specific consent "
    "(RSC) in the meeting's chat lets this app read this meeting.",
    "Either add MCEM Analyst to the meeting's chat so its RSC permissions "
    "OnlineMeetingTranscript.Read.Chat and OnlineMeeting.ReadBasic.Chat are granted there, or give "
    "the app OnlineMeetingTranscript.Read.All with an application access policy for the organizer: "
    f"`Grant-CsApplicationAccessPolicy -PolicyName {POLICY} -Identity <organizer>`.",
)
BILLING = Refusal(
    "billing_not_set_up",
    "Transcript downloads are not paid for",
    "Microsoft Graph answered 402 Payment Required: transcript content is a metered API and no Azure "
    "subscription is linked to this app to pay for it.",
    "Link an Azure subscription to the app with a Microsoft.GraphServices/accounts resource: "
    "`az graph-services account create --resource-group <group> --resource-name mcem-graph-billing "
    f"--subscription <subscription id> --location global --app-id {APP_ID}`.",
)
REFUSALS = (TRANSCRIPTS_DISABLED, ATTRIBUTION_OFF, NO_POLICY, NO_POLICY_OR_RSC, BILLING)


class TenantRefusal(AccessDenied):
    """Graph refused because of a tenant setting; ``refusal`` names the cause and the admin step."""

    # A tenant setting, not the user: worth trying again once the admin has acted.
    retry = True

    def __init__(self, refusal: Refusal, status: int, code: str) -> None:
        self.refusal = refusal
        self.status = status
        self.code = code
        # Each refusal carries its own title and the admin's exact step (mcem/errors.py's explain).
        self.title = refusal.title
        self.advice = admin_step(refusal)
        super().__init__(f"{refusal.cause} (Graph {status} {code})")

    def headline(self) -> str:
        return self.refusal.cause


def refusal_for(status: int, code: str, inner_code: str, message: str) -> Refusal | None:
    """The tenant refusal a Graph error stands for, or None when it is none of them."""
    codes = {code, inner_code}
    if ACCESS_DISABLED in codes:
        return TRANSCRIPTS_DISABLED
    if ATTRIBUTION_NOT_ALLOWED in codes:
        return ATTRIBUTION_OFF
    if status == 402:
        return BILLING
    text = message.lower()
    if status == 403 and "no application access policy" in text:
        return NO_POLICY
    if status == 403 and "rsc permission evaluation" in text:
        return NO_POLICY_OR_RSC
    return None


def admin_step(refusal: Refusal) -> str:
    """The "What to do" of every surface: who acts, then the exact step."""
    return f"Ask your Microsoft 365 admin. {refusal.admin_step}"
