"""Python twin of fs_probe.c: `op:path[:text]` arguments, one `<op> <path> => ok …|err <ERRNO>` line each.

Operations: fread (open().read()), readfd (os.open + 1-byte os.read), pathlib (Path.read_text),
list (os.listdir), stat, write (open "w"), append, mkdir, unlink, chdir (os.chdir), getcwd (os.getcwd).
"""
import errno
import os
import pathlib
import sys


def run(op, path, arg):
    if op == "fread":
        with open(path) as f:
            return f.read()
    if op == "readfd":
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            data = b""
            while True:
                chunk = os.read(fd, 1)
                if not chunk:
                    return data.decode()
                data += chunk
        finally:
            os.close(fd)
    if op == "pathlib":
        return pathlib.Path(path).read_text()
    if op == "list":
        return " ".join(sorted(os.listdir(path)))
    if op == "stat":
        st = os.stat(path)
        kind = "dir" if os.path.isdir(path) else "file"
        return f"{kind} {0 if kind == 'dir' else st.st_size}"
    if op == "write":
        with open(path, "w") as f:
            f.write(arg)
        return None
    if op == "append":
        with open(path, "a") as f:
            f.write(arg)
        return None
    if op == "mkdir":
        os.mkdir(path)
        return None
    if op == "unlink":
        os.unlink(path)
        return None
    if op == "chdir":
        os.chdir(path)
        return None
    if op == "getcwd":
        return os.getcwd()
    return "unknown operation"


for argument in sys.argv[1:]:
    op, _, rest = argument.partition(":")
    path, _, text = rest.partition(":")
    try:
        result = run(op, path, text)
        print(f"{op} {path} => ok" + ("" if result is None else f" {result}"), flush=True)
    except OSError as error:
        print(f"{op} {path} => err {errno.errorcode.get(error.errno, error.errno)}", flush=True)
