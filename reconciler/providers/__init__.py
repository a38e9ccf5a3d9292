"""Thin adapters, one per external system: the only modules that import httpx, psycopg, boto3 or PyGithub."""
