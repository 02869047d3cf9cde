"""GitHub, the feature: the API as services see it (`api`), who an account is on the roster (`identity`), the
webhook's deliveries (`webhooks`), and review asks and a committer's work (`work`).

Nothing is re-exported here: `api` is imported by low layers (access, owners, membership) that must not pull in
the webhook's decisions with it.
"""
