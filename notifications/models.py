# The notification outbox arrives with the follow-up scheduling work (issue 4).
