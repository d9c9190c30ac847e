"""Prints what a Python program sees: socket.gethostname, os.uname, env vars; then the same from a child."""
import os
import socket
import subprocess
import sys

print(f"hostname={socket.gethostname()}")
print(f"nodename={os.uname().nodename}")
for name in sys.argv[1:]:
    print(f"{name}={os.environ.get(name, '<unset>')}")
sys.stdout.flush()
if os.environ.get("SPAWN_CHILD") == "1":
    child = subprocess.run(["sh", "-c", 'echo "child_env=$APP_MODE"; hostname'], capture_output=True, text=True, check=True)
    print(child.stdout, end="")
