"""A small valid Analysis built from parts, for verification and confidentiality tests."""

from __future__ import annotations

from datetime import UTC, datetime

from mcem.model import (
    ROLE_TITLES,
    AdditionalFeedback,
    Analysis,
    AnalysisMeta,
    CompanySentiment,
    InterviewDetails,
    Quote,
    Recommendation,
    RoleSummary,
    Stage,
    StageFeedback,
)


def make(
    *,
    quotes: list[Quote] | None = None,
    excerpt: Quote | None = None,
    paragraph: str = "Helen described the reporting problem in her own words.",
    insight: str = "Reporting standards matter to the customer.",
    narrative: str = "Agree the reporting standard with Helen before design work.",
    action: str = "Send Helen a one-page summary",
    summary: str = "This call covered reporting and the pilot.",
    mood: str = "The customer sounded positive.",
) -> Analysis:
    stages = [
        StageFeedback(
            stage=s,
            discussed=True,
            paragraphs=[paragraph],
            quotes=list(quotes or []) if s is Stage.listen_consult else [],
        )
        for s in Stage
    ]
    table = [
        RoleSummary(
            role=r,
            excerpt=excerpt if i == 0 else None,
            insight=insight,
            actions=[action, "Book a follow-up call"],
        )
        for i, r in enumerate(ROLE_TITLES)
    ]
    recs = [
        Recommendation(
            title=f"Recommendation {i}", narrative=narrative if i == 1 else "Keep the pilot going."
        )
        for i in range(1, 4)
    ]
    return Analysis(
        participant_name="Helen Whitaker",
        company_name="Contoso",
        company_background="Contoso makes industrial parts.",
        executive_summary=[summary, "Second paragraph."],
        details=InterviewDetails(),
        stages=stages,
        insights=["Insight one.", "Insight two."],
        recommendations=recs,
        summary_table=table,
        additional_feedback=AdditionalFeedback(
            overall_mood=mood,
            sentiment=[
                CompanySentiment(company="Microsoft", label="positive", score=0.4, summary="Liked Azure.")
            ],
            other_topics=["A warehouse flood."],
        ),
        meta=AnalysisMeta(engine="offline", generated_at=datetime(2026, 11, 18, tzinfo=UTC)),
    )
