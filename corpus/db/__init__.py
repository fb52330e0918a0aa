"""The corpus database: SQLite (WAL) by default, PostgreSQL for several workers or hosts.

``schema`` declares the tables, ``connection`` opens a database (and migrates it with
Alembic under a lock), ``repository`` holds every query the store runs.
"""
