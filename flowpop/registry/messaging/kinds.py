"""Message kinds and statuses grouped by what a place does with them: declared once, read by the inbox's
workflow, its views, the rates and the quality checks."""

from __future__ import annotations

# The kinds of message, grouped by what a place does with them.
REQUESTS = frozenset({"assist_request", "not_found", "dispute"})  # answered with a reply (协查反馈)
ACKNOWLEDGEABLE = frozenset({"notification", "assist_reply"})  # acknowledged (接收), many at a time
ANSWER_COUNTED = frozenset({"assist_request", "not_found", "transfer"})  # whose answers the rates count
# Statuses beyond deadlines.OPEN (the ones with a due date running)
UNREAD = frozenset({"new", "forwarded", "escalated"})  # arrived here and not yet read
UNMATCHED = UNREAD | {"read"}  # open, and nobody has matched it to a local record or started verifying
TAKEN_UP = frozenset({"matched", "answered", "closed"})  # the addressee matched, answered or closed it
ANSWERED = frozenset({"answered", "closed"})
# 查无此人 (not_found): what the household side's answer did to its outflow record (Message.outcome), and the
# outcome of one closed because its stay or person was ended meanwhile: closed with its subject, nobody's lateness
NOT_FOUND_OUTCOMES = ("returned", "moved", "present")
SUBJECT_ENDED = "subject_ended"
