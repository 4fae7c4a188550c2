"""Demo and test data for the Graph emulator: one tenant, its account team, customers, meetings.

Times are relative to "now" so that "the last meeting" is always a recent one. The demo user
is the Agents Playground's default user (Alex Wilber): the Playground sends his
``aadObjectId``, so the bot can look him up here without any mapping.

Alex's calendar, newest first:
- "Weekly account team sync"           in progress now (not past: never picked)
- the bundled sample call (samples/*.vtt), ended about two hours ago   -> transcript
- "Litware – licensing follow-up"      3 days ago, transcription off   -> no transcript
- the AMI meetings (samples/ami/ami-*.vtt), 6 and 13 days ago  -> transcripts
- "Executive briefing"                 9 days ago, organised by a user the app's Teams
                                       application access policy does not cover -> 403
- a lunch (not online) and tomorrow's meeting (future): never picked
- the Contoso account history (samples/contoso-account/calls.json): three calls over six weeks,
  44, 23 and 2 days ago, Alex at each of them, Megan at none -> transcripts
Megan Bowen's calendar adds one meeting that just ended (transcript not ready yet) and one
Alex did not attend (for the access check).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

__all__ = [
    "DEMO_USER_ID",
    "DRIVE_ID",
    "INTERNAL_DOMAIN",
    "PLAYGROUND_TENANT_ID",
    "SeedData",
    "SeedMeeting",
    "SeedUser",
    "build_seed",
]

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
AMI_TRANSCRIPTS = SAMPLES / "ami"
ACCOUNT_CALLS = SAMPLES / "contoso-account" / "calls.json"

# The Agents Playground (npm @microsoft/m365agentsplayground 0.2.28) default configuration:
# tenantId, and currentUser "Alex Wilber" (from.id "user-id-0") with this aadObjectId.
PLAYGROUND_TENANT_ID = "00000000-0000-0000-0000-0000000000001"
DEMO_USER_ID = "00000000-0000-0000-0000-0000000000020"
INTERNAL_DOMAIN = "mcemdemo.onmicrosoft.com"
SITE_PATH = "/sites/AccountTeam"
LIBRARY = "Shared Documents"
DRIVE_ID = "b!bWNlbWRlbW8tYWNjb3VudC10ZWFtLWRvY3VtZW50cw"


@dataclass(frozen=True)
class SeedUser:
    id: str
    name: str
    mail: str
    job_title: str = ""
    # False: the Teams application access policy does not cover this user, so Graph answers
    # 403 to the app for their online meetings (as it does when an admin has not granted it).
    policy_granted: bool = True

    @property
    def internal(self) -> bool:
        return self.mail.endswith("@" + INTERNAL_DOMAIN)


@dataclass(frozen=True)
class Person:
    name: str
    mail: str


@dataclass
class SeedMeeting:
    key: str
    subject: str
    start: datetime
    end: datetime
    organizer: Person
    attendees: list[Person]
    calendars: list[str]  # user ids whose calendar holds the event
    vtt: bytes | None = None  # None: no transcript
    transcript_delay: timedelta = timedelta(minutes=8)
    online: bool = True

    @property
    def thread(self) -> str:
        return "19:meeting_" + _token(self.key, 40) + "@thread.v2"

    @property
    def meeting_id(self) -> str:
        return _b64(f"1*{self.organizer_id}*0**{self.thread}")

    organizer_id: str = ""

    def join_url(self, tenant_id: str) -> str:
        context = json.dumps({"Tid": tenant_id, "Oid": self.organizer_id}, separators=(",", ":"))
        # Teams writes the escapes in lower case: 19%3ameeting_...%40thread.v2
        thread = re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), quote(self.thread, safe=""))
        return f"https://teams.microsoft.com/l/meetup-join/{thread}/0?context={quote(context, safe='')}"

    @property
    def transcript_id(self) -> str:
        return _b64(f"1*{self.organizer_id}*{self.key}*transcript")


@dataclass
class SeedData:
    tenant_id: str
    internal_domains: tuple[str, ...]
    users: dict[str, SeedUser]
    meetings: list[SeedMeeting]
    drive_id: str = DRIVE_ID
    site_path: str = SITE_PATH
    library: str = LIBRARY

    def user(self, key: str) -> SeedUser | None:
        """By object id, mail or user principal name (Graph accepts either in /users/{id})."""
        if key in self.users:
            return self.users[key]
        low = key.lower()
        return next((u for u in self.users.values() if u.mail.lower() == low), None)


def _token(text: str, length: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _user_id(n: int) -> str:
    return f"00000000-0000-0000-0000-{n:013d}"


def _team() -> list[SeedUser]:
    d = INTERNAL_DOMAIN
    return [
        SeedUser(DEMO_USER_ID, "Alex Wilber", f"alexw@{d}", "Microsoft Executive Sponsor"),
        # The other Playground users, with the Playground's aadObjectIds.
        SeedUser(_user_id(21), "Megan Bowen", f"meganb@{d}", "Customer Success Account Manager"),
        SeedUser(_user_id(22), "Adele Vance", f"adelev@{d}", "Solution Specialist"),
        SeedUser(_user_id(23), "Isaiah Langer", f"isaiahl@{d}", "Cloud Solution Architect"),
        SeedUser(_user_id(24), "Patti Fernandez", f"pattif@{d}", "Corporate Vice President", False),
        SeedUser(_user_id(25), "Lynne Robbins", f"lynner@{d}", "Account Executive"),
        # The Microsoft voices in the bundled sample call.
        SeedUser(_user_id(31), "Priya Raman", f"priyar@{d}", "Account Executive"),
        SeedUser(_user_id(32), "Daniel O'Neil", f"danielo@{d}", "Solution Specialist"),
        SeedUser(_user_id(33), "Sofia Farías", f"sofiaf@{d}", "Customer Success Account Manager"),
    ]


# Where the people outside the tenant in the bundled transcripts work.
_EXTERNAL_DOMAINS = {
    "Marcus Lee": "adatum.com",  # the partner in the sample call and the Contoso proof of concept
}


def _speakers(vtt: bytes) -> list[str]:
    seen: dict[str, None] = {}
    for name in re.findall(r"<v ([^>]+)>", vtt.decode("utf-8", errors="replace")):
        seen.setdefault(html.unescape(name).strip(), None)
    return list(seen)


def _people(speakers: list[str], team: dict[str, SeedUser], customer_domain: str) -> list[Person]:
    out = []
    for name in speakers:
        member = team.get(name)
        if member is not None:
            out.append(Person(member.name, member.mail))
            continue
        domain = _EXTERNAL_DOMAINS.get(name, customer_domain)
        local = ".".join(re.sub(r"[^a-z]", "", part) for part in _ascii(name).lower().split())
        out.append(Person(name, f"{local}@{domain}"))
    return out


def _ascii(text: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _sample_file() -> Path | None:
    found = sorted(SAMPLES.glob("*.vtt"))
    return found[0] if found else None


def _subject_for_sample(path: Path) -> str:
    if path.stem == "contoso-manufacturing-call":
        return "Contoso Manufacturing – engagement review"
    return path.stem.replace("-", " ").replace("_", " ").strip().capitalize() or "Customer call"


def _account_calls(now: datetime, team: dict[str, SeedUser]) -> list[SeedMeeting]:
    """The Contoso calls of samples/contoso-account/, on each internal attendee's calendar."""
    if not ACCOUNT_CALLS.exists():
        return []
    spec = json.loads(ACCOUNT_CALLS.read_text("utf-8"))
    out = []
    for call in spec["calls"]:
        vtt = (ACCOUNT_CALLS.parent / call["file"]).read_bytes()
        people = {p.name: p for p in _people([call["organizer"], *call["attendees"]], team, "contoso.com")}
        start = (now - timedelta(days=call["days_ago"])).replace(hour=15, minute=0)
        organizer = people[call["organizer"]]
        out.append(
            SeedMeeting(
                "account-" + Path(call["file"]).stem,
                call["subject"],
                start,
                start + timedelta(minutes=call["minutes"]),
                organizer,
                [people[name] for name in call["attendees"]],
                [team[name].id for name in (call["organizer"], *call["attendees"]) if name in team],
                vtt,
            )
        )
    return out


def build_seed(now: datetime | None = None, *, tenant_id: str = PLAYGROUND_TENANT_ID) -> SeedData:
    """The emulator's initial state; ``now`` fixes the clock for tests."""
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(second=0, microsecond=0)
    users = {u.id: u for u in _team()}
    by_name = {u.name: u for u in users.values()}
    alex, megan, adele, isaiah, patti = (
        by_name[n] for n in ("Alex Wilber", "Megan Bowen", "Adele Vance", "Isaiah Langer", "Patti Fernandez")
    )

    def me(u: SeedUser) -> Person:
        return Person(u.name, u.mail)

    meetings: list[SeedMeeting] = []

    sample = _sample_file()
    if sample is not None:
        vtt = sample.read_bytes()
        people = _people(_speakers(vtt), by_name, "contoso.com")
        internal = [p for p in people if p.mail.endswith("@" + INTERNAL_DOMAIN)]
        organizer = internal[0] if internal else me(alex)
        start = now - timedelta(hours=2, minutes=40)
        meetings.append(
            SeedMeeting(
                "sample",
                _subject_for_sample(sample),
                start,
                start + timedelta(minutes=35),
                organizer,
                [p for p in people if p != organizer] + [me(alex)],
                [alex.id],
                vtt,
            )
        )

    litware = now - timedelta(days=3, hours=1)
    meetings.append(
        SeedMeeting(
            "litware",
            "Litware – licensing follow-up",
            litware,
            litware + timedelta(minutes=30),
            me(alex),
            [me(megan), Person("Jordan Miller", "jordan.miller@litware.com")],
            [alex.id, megan.id],
            None,
        )
    )

    ami = sorted(AMI_TRANSCRIPTS.glob("ami-*.vtt"))
    ami_subjects = [
        ("Fabrikam – remote control kick-off", "fabrikam.com", 6),
        ("Wingtip Toys – product design kick-off", "wingtiptoys.com", 13),
    ]
    for path, (subject, domain, days) in zip(ami, ami_subjects, strict=False):
        vtt = path.read_bytes()
        start = now - timedelta(days=days, hours=2)
        people = _people(_speakers(vtt), by_name, domain)
        meetings.append(
            SeedMeeting(
                path.stem,
                subject,
                start,
                start + timedelta(minutes=40),
                me(alex),
                [p for p in people if p.mail != alex.mail],
                [alex.id],
                vtt,
            )
        )

    briefing = now - timedelta(days=9, hours=3)
    meetings.append(
        SeedMeeting(
            "briefing",
            "Executive briefing – Northwind Traders",
            briefing,
            briefing + timedelta(hours=1),
            me(patti),
            [me(alex), Person("Ana Bowman", "ana.bowman@northwindtraders.com")],
            [alex.id, patti.id],
            b"WEBVTT\n\n1\n00:00:00.000 --> 00:00:04.000\n<v Ana Bowman>Hello.</v>\n",
        )
    )

    sync = now - timedelta(minutes=10)
    meetings.append(
        SeedMeeting(
            "sync",
            "Weekly account team sync",
            sync,
            sync + timedelta(minutes=30),
            me(megan),
            [me(alex), me(adele)],
            [alex.id, megan.id, adele.id],
            None,
        )
    )
    tomorrow = now + timedelta(days=1)
    meetings.append(
        SeedMeeting(
            "tomorrow",
            "Contoso Manufacturing – scale-out planning",
            tomorrow,
            tomorrow + timedelta(hours=1),
            me(alex),
            [me(megan)],
            [alex.id, megan.id],
            None,
        )
    )
    lunch = now - timedelta(days=1, hours=4)
    meetings.append(
        SeedMeeting(
            "lunch",
            "Team lunch",
            lunch,
            lunch + timedelta(hours=1),
            me(alex),
            [me(megan)],
            [alex.id, megan.id],
            None,
            online=False,
        )
    )

    meetings += _account_calls(now, by_name)

    # On Megan's calendar only.
    ended = now - timedelta(minutes=5)
    meetings.append(
        SeedMeeting(
            "just-ended",
            "Fabrikam – security review",
            ended - timedelta(minutes=45),
            ended,
            me(megan),
            [me(adele), Person("Omar Haddad", "omar.haddad@fabrikam.com")],
            [megan.id, adele.id],
            None,
        )
    )
    private = now - timedelta(days=2)
    meetings.append(
        SeedMeeting(
            "not-attended",
            "Tailspin Toys – renewal strategy",
            private,
            private + timedelta(minutes=30),
            me(megan),
            [me(isaiah), Person("Kai Carter", "kai.carter@tailspintoys.com")],
            [megan.id, isaiah.id],
            b"WEBVTT\n\n1\n00:00:00.000 --> 00:00:05.000\n<v Kai Carter>Renewal is on track.</v>\n",
        )
    )

    mail_to_id = {u.mail: u.id for u in users.values()}
    for m in meetings:
        m.organizer_id = mail_to_id.get(m.organizer.mail, "")
    return SeedData(tenant_id=tenant_id, internal_domains=(INTERNAL_DOMAIN,), users=users, meetings=meetings)
