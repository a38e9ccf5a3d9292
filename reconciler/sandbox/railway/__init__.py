"""A Railway emulator: Railway's real GraphQL schema served on loopback, over in-memory state with real processes.

It stands in for `https://backboard.railway.com/graphql/v2` in the sandbox and the integration tests. Documents
are validated against Railway's SDL (`schema.py`); root fields resolve from `resolvers.py`; a field the emulator
does not implement is a GraphQL error "not implemented by the emulator: Type.field", never a silent null.

Python API::

    from reconciler.sandbox.railway import Emulator, EmulatorServer, FAST

    with EmulatorServer(Emulator(seed, timings=FAST, processes=True)) as server:
        server.url                          # http://127.0.0.1:PORT/graphql/v2
        server.requests_by_operation        # Counter of requests by GraphQL operation name
        server.faults.add("rate_limit", "EnvironmentState", times=2, retry_after=1)
        server.faults.set_latency(0.05)     # every request; kinds: latency rate_limit error drop timeout
        server.set_rate_limits(per_second=10, per_hour=1000)
        em = server.emulator
        em.environments / em.services / em.deployments      # state, guarded by em.lock
        em.set_behaviour("1.4.3", "fails_health")           # by tag or full image reference
        em.set_load(environment_id, service_id, {"cpu": [[0, 0.2], [60, 1.6]]})
        em.wait_for(deployment_id, {"SUCCESS", "FAILED"}, timeout=10)
        em.service_url("production", "api")  # stable http://127.0.0.1:PORT that follows the live deployment
        em.commit_patch(environment_id, patch) / em.deploy(...) / em.rollback(id)   # the API's actions, in Python

Seed (YAML or JSON, or the same as a dict; every key optional except names; `default-seed.yaml` is an example,
served by `reconciler sandbox railway` when no seed is given)::

    settings:
      timings: {phase: 0.5, healthcheck_interval: 0.1, healthcheck_timeout: 10, crash_after: 1}
      processes: true              # start a demo app per live deployment (false for big benchmarks)
      retention_hours: 72          # how long an image stays rollback-able
    behaviours:                    # per version: tag or full image -> behaviour (default healthy)
      "1.4.3": fails_health        # healthy | fails_health | crashes | migration_fails | errors | slow
      "ghcr.io/fixia/api:1.5.0": {behaviour: errors, error_rate: 0.3}   # or slow: slow_fraction, slow_ms
    tokens:                        # scope of a Project-Access-Token (any other token: the first environment)
      project-token: {project: fixia, environment: production}
    projects:
      - name: fixia
        id: proj-fixia             # ids are generated when absent
        services: [api, web, {name: postgres, id: svc-pg}]
        volumes: [pgdata]
        environments:
          - name: production
            shared_variables: {NODE_ENV: production}
            services:              # by service name; the EnvironmentConfig keys of Railway, camelCase
              api:
                source: {image: "ghcr.io/fixia/api:1.4.2"}          # or repo
                deploy: {multiRegionConfig: {us-west2: {numReplicas: 2}}, healthcheckPath: /health,
                         healthcheckTimeout: 300, preDeployCommand: ["npm run migrate"], startCommand: "node .",
                         restartPolicyType: ON_FAILURE, restartPolicyMaxRetries: 3}
                variables: {JWT_SECRET: s3cret, API_KEY: {value: k, isSealed: true}}
                history: ["ghcr.io/fixia/api:1.4.0", "ghcr.io/fixia/api:1.4.1"]  # older deployments, rollback-able
                deployed: true     # false: config only, no live deployment
                load: {cpu: [[0, 0.2], [600, 1.6]], memory_gb: 0.5, cpu_limit: 2, memory_limit_gb: 1}
            volumes:
              pgdata: {service: postgres, mount_path: /var/lib/postgresql/data, size_mb: 5000,
                       backup_schedules: [DAILY, WEEKLY]}

Semantics worth knowing: a patch merges key by key and `null` deletes; a change to a service's source, deploy
(other than replicas), build or variables starts a deployment; a replicas-only change (`numReplicas`,
`multiRegionConfig`) scales the live deployment with no build; `configEtag` changes on every commit; without
`decryptVariables: true` the config shows variables without values, and sealed values are never shown.
`deploymentRollback` deploys the old image and variables with no BUILDING phase and points the config's
`source.image` at it. A live deployment's app answers at `Deployment.url`; each service instance also has a stable
address, `domains.serviceDomains[0].domain` (`127.0.0.1:PORT`, plain HTTP), that forwards to its live deployment
(502 when none). Demo apps run only while the emulator runs (`EmulatorServer.start()` or `Emulator.start()`).
Auth: any `Authorization: Bearer` token, or any `Project-Access-Token`; a token listed under `tokens:` reaches only
its project and environment, and `projects` refuses project tokens; no token at all is "Not Authorized".
"""

from __future__ import annotations

from reconciler.sandbox.railway.emulator import FAST, ApiError, Emulator, Timings
from reconciler.sandbox.railway.faults import Faults, RateLimiter
from reconciler.sandbox.railway.processes import live_processes
from reconciler.sandbox.railway.seed import DEFAULT_SEED, SeedError, load_seed
from reconciler.sandbox.railway.server import EmulatorServer

__all__ = [
    "DEFAULT_SEED",
    "FAST",
    "ApiError",
    "Emulator",
    "EmulatorServer",
    "Faults",
    "RateLimiter",
    "SeedError",
    "Timings",
    "live_processes",
    "load_seed",
]
