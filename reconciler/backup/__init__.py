"""The backup side: `pg_dump` streamed to S3 with a manifest, verification, retention, freshness and restores.

Public entry points: `take.take_backup`, `verify.verify_backup`, `retain.plan_prune`/`apply_policy`,
`catalog.list_backups`/`newest_verified`, `freshness.freshness`, `restore.restore_backup`.
"""
