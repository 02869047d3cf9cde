"""Persistence: SQLModel tables, repository functions and Alembic migrations."""
