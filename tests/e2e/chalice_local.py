"""`chalice local` with a listen backlog that holds a burst of concurrent test requests.

socketserver's default backlog is 5; past it Linux resets connections before the app sees
them. That is the dev server's limit, not Gatehouse's (API Gateway has none such), so the
e2e stack raises it: `python -m tests.e2e.chalice_local local --port N ...`.
"""

from __future__ import annotations

import sys

from chalice import local
from chalice.cli import main

local.ThreadedHTTPServer.request_queue_size = 128

if __name__ == "__main__":
    sys.exit(main())
