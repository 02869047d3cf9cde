"""Use cases: plain values in, models and dataclasses out; no Slack imports here."""
