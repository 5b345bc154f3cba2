"""`chalice local` with a listen backlog that holds a burst of concurrent requests.

socketserver's default backlog is 5; past it Linux resets connections before the app sees
them. That is the dev server's limit, not Gatehouse's (API Gateway has none such), so
`make run` (emulator.py) and the e2e stacks start `chalice local` through this module:
`python -m chalicelib.local_server local --stage local --port N ...`. Only the local stack
imports it; the Lambda never does.
"""

from __future__ import annotations

import sys

from chalice import local
from chalice.cli import main

local.ThreadedHTTPServer.request_queue_size = 128

if __name__ == "__main__":
    sys.exit(main())
