"""Records: one module per stored thing, the only floor above models.py that reads or
writes its tables (with tokens/ and signing/).

clients, users (and who may still act), registration, authorization_codes, device_codes,
user_codes, sessions, consents, and the brute-force counters (ratelimit) with the password
policy built on them (password_attempts, and the browsers it trusts: trusted_devices).
Every expiry is checked on read against models.now(), since DynamoDB's TTL deletes late;
one-time changes are conditional writes.
"""
