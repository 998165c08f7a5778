"""The programme's reads (conventions.md: every read that carries a rule is here)."""
