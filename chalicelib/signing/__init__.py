"""Signing: every JWT signature and every KMS call (DESIGN.md, Keys and tokens).

kms.py is the only KMS client; keys.py is the key set (records, cache, JWKS); jws.py signs
a JWT with the active key; envelope.py holds the locally signing keys of `envelope` mode;
rotation.py decides when keys move through next -> active -> retired -> deleted, and
transitions.py makes each move a conditional write that happens once.
"""
