"""Persistence: the SQL store of record (SQLite or PostgreSQL), its migrations and media files."""
