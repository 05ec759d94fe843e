"""The runtime harness: a real site, scripted sessions, and what they recorded."""
