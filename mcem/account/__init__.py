"""Account memory: the calls with one customer, in order, from the analyses kept beside their drafts.

- ``history``: the AccountHistory model and ``account_history`` (analyses -> history)
- ``matching``: same work, same owner, same risk (word matching, no language model)
- ``sidecars``: the account folder's layout and reading it from disk
"""

from mcem.account.history import (
    AccountCall,
    AccountHistory,
    CallSource,
    RiskTrack,
    SentimentTrack,
    StepMark,
    StepStatus,
    account_history,
    stage_strip,
)

__all__ = [
    "AccountCall",
    "AccountHistory",
    "CallSource",
    "RiskTrack",
    "SentimentTrack",
    "StepMark",
    "StepStatus",
    "account_history",
    "stage_strip",
]
