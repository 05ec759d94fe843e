"""Security evidence: the claims matrix, its checks and the reviewer pages."""
