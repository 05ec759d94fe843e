"""Room governance: join rules, the signed event log and fork-choice (pure Python)."""
