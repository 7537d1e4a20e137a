"""The benchmark's data builder, by what each part makes: `build` (whether to build, and the build itself),
`organisations`, `lots`, `bids` (with awards, ratings, licences and handovers), `placing` (the lot the
benchmark places bids on), `mixed` (the mixed run's people, matches and inbox), on top of `common` (the pinned
rows, sizes and seed) and `copying` (PostgreSQL's COPY)."""
