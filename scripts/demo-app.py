"""The demo's "developer's program": prints what it sees of the world it runs in."""
import os
import socket

print(f"  hostname             : {socket.gethostname()}")
for name in ("APP_MODE", "DATABASE_URL", "FEATURE_CHECKOUT_V2", "HOME"):
    print(f"  ${name:<20}: {os.environ.get(name, '(not set)')}")
