"""AWS list prices (us-east-1, USD) and the per-request assumptions of README's "What it costs
a month": the one place the cost benchmark and that table take them from.

As published when written (2026; check the pricing pages). No free tier.
"""

from __future__ import annotations

API_GATEWAY_REST_PER_MILLION = 3.50
LAMBDA_REQUESTS_PER_MILLION = 0.20
LAMBDA_GB_SECOND = 0.0000166667
LAMBDA_MEMORY_GB = 1.0  # 1024 MB
KMS_SIGN_RSA_PER_10K = 0.03  # RSA_2048 Sign
KMS_SIGN_ECC_PER_10K = 0.15  # ECC_NIST_P256 Sign
DYNAMODB_READ_PER_MILLION = 0.125  # on-demand read request units
DYNAMODB_WRITE_PER_MILLION = 0.625  # on-demand write request units
LOGS_PER_GB = 0.50  # CloudWatch Logs ingestion
LOG_KB_PER_REQUEST = 1.0

# Cognito user pools, machine-to-machine: the first tier as published (per successful token
# request), plus $6 a month per app client, which a per-token figure leaves out.
COGNITO_M2M_PER_THOUSAND = 2.25

# Lambda duration per request (README): ~25 ms when KMS signs (the network wait), ~8 ms
# when the container signs (envelope).
LAMBDA_MS = {"kms": 25.0, "envelope": 8.0}

# A sign-in through the code flow (README): about six API requests (authorize, login GET and
# POST, consent, callback's token exchange, ...), two Sign calls (ID and access token) and
# some ten DynamoDB requests; split here as five reads and five writes.
CODE_FLOW = {"api_requests": 6, "signs": 2, "dynamodb_reads": 5, "dynamodb_writes": 5}
