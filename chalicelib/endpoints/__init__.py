"""HTTP endpoints: each reads its request, runs named steps, and returns a Response."""
