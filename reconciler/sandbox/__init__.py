"""Local stand-ins on loopback for Railway, GitHub, S3 and PostgreSQL: the sandbox and the integration test bed."""
