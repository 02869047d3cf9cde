"""Empty: everything the bot sends now goes through the outbox (bot/services/outbox.py); this module is to be removed."""
