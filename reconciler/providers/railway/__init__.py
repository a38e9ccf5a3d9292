"""Railway adapter: a GraphQL client for Railway's public API, its records and its operation documents."""
