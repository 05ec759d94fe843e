"""Rooms: landing and room pages, the WebSocket relay and the Redis room store."""
