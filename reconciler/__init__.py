"""reconciler: keeps apps on Railway, their PostgreSQL database and their S3 backups as git declares."""

__version__ = "0.1.0"
