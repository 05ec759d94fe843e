"""The Channels tutorial's setup: core RedisChannelLayer and a stock consumer (a baseline)."""
